"""The client's transfers, references and balances as of a moment, against the fake
server: what each call sends, what it answers, and which failures it tries again."""

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone

import grpc
import pytest

from techbank.account.v1 import history_pb2, transfers_pb2
from techbank_client import (
    AccountStatus,
    RetryPolicy,
    TechbankClient,
    TechbankError,
    TransferStatus,
)
from tests.support.fake_techbank import FakeTechbank, Stall, account, serving

Code = grpc.StatusCode
FAST = RetryPolicy(attempts=3, initial_backoff=0.01, max_backoff=0.02)
ADA, BOB = account(1, "Ada", balance_cents=1_000), account(2, "Bob")
NOBODY = account(3).account_id  # an account the fake does not have
OPENED = datetime.fromtimestamp(1_800_000_000, UTC)  # when the fake's accounts were opened


@pytest.fixture
def fake() -> FakeTechbank:
    return FakeTechbank(accounts=[ADA, BOB])


@pytest.fixture
async def bank(fake: FakeTechbank) -> AsyncIterator[TechbankClient]:
    """A client whose query address answers nothing: transfers and history are served by
    the command server, and must not need the other."""
    async with (
        serving(fake) as address,
        TechbankClient(address, "127.0.0.1:1", deadline=0.5, retry=FAST) as client,
    ):
        yield client


async def test_a_transfer_answers_how_it_ended(fake: FakeTechbank, bank: TechbankClient) -> None:
    done = await bank.transfer(ADA.account_id, BOB.account_id, 250, "rent")
    assert (done.source_account_id, done.target_account_id) == (ADA.account_id, BOB.account_id)
    assert (done.amount_cents, done.reference, done.status) == (250, "rent", "completed")
    assert (done.refusal_reason, done.refunded, done.version) == ("", False, 3)
    (seen,) = fake.seen
    assert isinstance(seen.request, transfers_pb2.TransferFundsRequest)
    assert seen.request.reference == "rent" and uuid.UUID(seen.request_id).version == 4
    assert seen.routing == ADA.account_id  # to the server that takes the source's calls


async def test_a_refused_transfer_is_an_answer_saying_why(bank: TechbankClient) -> None:
    poor = await bank.transfer(ADA.account_id, BOB.account_id, 1_001)
    assert (poor.status, poor.refusal_reason, poor.refunded, poor.version) == (
        TransferStatus.REFUSED,
        "INSUFFICIENT_FUNDS",
        False,
        2,
    )
    assert poor.refusal_message == "Withdraw declined, insufficient funds!"
    nowhere = await bank.transfer(ADA.account_id, NOBODY, 10)
    assert (nowhere.status, nowhere.refusal_reason, nowhere.refunded) == (
        TransferStatus.REFUSED,
        "ACCOUNT_NOT_FOUND",
        True,
    )


async def test_a_transfer_failed_with_unavailable_is_retried_as_the_same_request(
    fake: FakeTechbank, bank: TechbankClient
) -> None:
    fake.plan = [Code.UNAVAILABLE]
    done = await bank.transfer(ADA.account_id, BOB.account_id, 5)
    first, second = (seen.request_id for seen in fake.seen)
    assert first == second and list(fake.transfers) == [done.transfer_id]
    assert done.status is TransferStatus.COMPLETED


async def test_a_transfer_that_timed_out_is_retried_and_answers_the_same_transfer(
    fake: FakeTechbank, bank: TechbankClient
) -> None:
    fake.plan = [Stall()]
    done = await bank.transfer(ADA.account_id, BOB.account_id, 5, request_id="pay-1")
    again = await bank.transfer(ADA.account_id, BOB.account_id, 5, request_id="pay-1")
    assert [seen.request_id for seen in fake.seen] == ["pay-1"] * 3
    assert done == again and len(fake.transfers) == 1


async def test_a_transfer_still_under_way_at_the_deadline_is_pending(
    fake: FakeTechbank, bank: TechbankClient
) -> None:
    fake.transfers_pending = True
    pending = await bank.transfer(ADA.account_id, BOB.account_id, 5)
    assert (pending.status, pending.version) == (TransferStatus.PENDING, 1)
    assert (await bank.get_transfer(pending.transfer_id)) == pending


async def test_get_transfer_reads_it_back_and_an_unknown_one_is_not_found(
    bank: TechbankClient,
) -> None:
    done = await bank.transfer(ADA.account_id, BOB.account_id, 5)
    assert await bank.get_transfer(done.transfer_id) == done
    with pytest.raises(TechbankError) as raised:
        await bank.get_transfer(str(uuid.uuid4()))
    assert (raised.value.code, raised.value.reason) == (Code.NOT_FOUND, "TRANSFER_NOT_FOUND")


async def test_reads_are_retried_on_unavailable_only(
    fake: FakeTechbank, bank: TechbankClient
) -> None:
    done = await bank.transfer(ADA.account_id, BOB.account_id, 5)
    fake.plan = [Code.UNAVAILABLE, Code.UNAVAILABLE]
    await bank.get_transfer(done.transfer_id)
    await bank.balance_as_of(ADA.account_id, OPENED)
    fake.plan = [Stall()]
    with pytest.raises(TechbankError) as raised:
        await bank.balance_as_of(ADA.account_id, OPENED)
    assert raised.value.code == Code.DEADLINE_EXCEEDED
    calls = [seen.method for seen in fake.seen[1:]]
    assert calls == ["GetTransfer"] * 3 + ["GetBalanceAsOf"] * 2


async def test_the_balance_as_of_a_moment_sends_it_in_utc(
    fake: FakeTechbank, bank: TechbankClient
) -> None:
    paris = timezone(timedelta(hours=2))
    moment = datetime(2027, 1, 15, 10, 30, 0, 250_000, tzinfo=paris)
    balance = await bank.balance_as_of(ADA.account_id, moment)
    assert (balance.account_id, balance.balance_cents, balance.version) == (
        ADA.account_id,
        1_000,
        1,
    )
    assert balance.status is AccountStatus.OPEN
    assert balance.as_of == moment and balance.as_of.tzinfo is UTC
    (seen,) = fake.seen
    assert isinstance(seen.request, history_pb2.GetBalanceAsOfRequest)
    assert seen.request.as_of.ToDatetime(tzinfo=UTC) == datetime(
        2027, 1, 15, 8, 30, 0, 250_000, tzinfo=UTC
    )


async def test_a_naive_moment_is_refused_before_any_call(
    fake: FakeTechbank, bank: TechbankClient
) -> None:
    with pytest.raises(ValueError, match="needs a timezone"):
        await bank.balance_as_of(ADA.account_id, datetime(2027, 1, 15, 8, 0))
    assert fake.seen == []


async def test_before_the_account_was_opened_its_balance_is_not_found(
    bank: TechbankClient,
) -> None:
    with pytest.raises(TechbankError) as raised:
        await bank.balance_as_of(ADA.account_id, OPENED - timedelta(seconds=1))
    assert (raised.value.code, raised.value.reason) == (Code.NOT_FOUND, "ACCOUNT_NOT_FOUND")


async def test_deposits_and_withdrawals_carry_their_reference(fake: FakeTechbank) -> None:
    async with serving(fake) as address, TechbankClient(address, address) as bank:
        await bank.deposit(ADA.account_id, 1, reference="gift")
        await bank.withdraw(ADA.account_id, 1)
    references = [getattr(seen.request, "reference", None) for seen in fake.seen]
    assert references == ["gift", ""]
