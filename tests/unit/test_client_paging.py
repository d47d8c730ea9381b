"""The client's paged answers: every page followed, a broken stream resumed where it
broke, and errors read with their details; against the fake server."""

from collections.abc import AsyncIterator

import grpc
import pytest

from techbank.account.v1 import queries_pb2 as q
from techbank_client import Comparison, MovementKind, RetryPolicy, TechbankClient, TechbankError
from techbank_client.models import AccountStatus, AccountType
from tests.support.fake_techbank import (
    BreakAfter,
    FakeTechbank,
    Refusal,
    account,
    movement,
    serving,
)

Code = grpc.StatusCode
FAST = RetryPolicy(attempts=3, initial_backoff=0.01, max_backoff=0.02)
ACCOUNTS = [account(n, "Ada" if n % 2 else "Bob", balance_cents=100 * n) for n in range(1, 8)]
IDS = [a.account_id for a in ACCOUNTS]
STATEMENT = [
    movement(1, q.MOVEMENT_KIND_OPENED, 1_000, 1_000),
    movement(2, q.MOVEMENT_KIND_DEPOSIT, 250, 1_250),
    movement(3, q.MOVEMENT_KIND_TRANSFER_OUT, -200, 1_050),
    movement(4, q.MOVEMENT_KIND_CLOSED, 0, 1_050),
]
STATEMENT[2].transfer_id, STATEMENT[2].reference = IDS[6], "rent"


@pytest.fixture
def fake() -> FakeTechbank:
    return FakeTechbank(accounts=ACCOUNTS)


@pytest.fixture
async def bank(fake: FakeTechbank) -> AsyncIterator[TechbankClient]:
    async with serving(fake) as address, TechbankClient(address, address, retry=FAST) as client:
        yield client


async def test_find_by_holder_follows_every_page(fake: FakeTechbank, bank: TechbankClient) -> None:
    found = [a.account_id async for a in bank.find_by_holder("Ada", page_size=1)]
    assert found == IDS[0::2]
    assert [seen.page_token for seen in fake.seen] == ["", "1", "2", "3"]


async def test_find_with_balance_follows_every_page_and_retries_unavailable(
    fake: FakeTechbank, bank: TechbankClient
) -> None:
    fake.plan = [Code.UNAVAILABLE]
    found = [a async for a in bank.find_with_balance(Comparison.GREATER_THAN, 300, page_size=3)]
    assert [a.balance_cents for a in found] == [400, 500, 600, 700]
    assert [seen.page_token for seen in fake.seen] == ["", "", "3"]


async def test_all_accounts_resumes_a_broken_stream_after_its_last_page(
    fake: FakeTechbank, bank: TechbankClient
) -> None:
    fake.plan = [BreakAfter(1), BreakAfter(0), BreakAfter(2)]
    found = [a.account_id async for a in bank.all_accounts(page_size=2)]
    assert found == IDS
    assert [seen.page_token for seen in fake.seen] == ["", "2", "2", "6"]


async def test_all_accounts_gives_up_after_failures_in_a_row_without_a_page(
    fake: FakeTechbank, bank: TechbankClient
) -> None:
    fake.plan = [BreakAfter(1), *[BreakAfter(0)] * 10]
    found = []
    with pytest.raises(TechbankError) as raised:
        async for one in bank.all_accounts(page_size=2):
            found.append(one.account_id)
    assert raised.value.code == Code.UNAVAILABLE
    assert found == IDS[:2] and len(fake.seen) == FAST.attempts  # the broken one was the 1st


async def test_all_accounts_starts_after_a_page_token_and_has_a_deadline(
    fake: FakeTechbank, bank: TechbankClient
) -> None:
    found = [a.account_id async for a in bank.all_accounts(page_size=4, page_token="4")]
    assert found == IDS[4:]
    (seen,) = fake.seen
    assert seen.time_remaining is not None and 290 < seen.time_remaining <= 310


async def test_a_statement_comes_in_order_and_resumes_a_broken_stream(
    fake: FakeTechbank, bank: TechbankClient
) -> None:
    fake.movements[IDS[0]] = STATEMENT
    fake.plan = [BreakAfter(1), BreakAfter(0)]
    found = [m async for m in bank.statement(IDS[0], page_size=2, min_version=4)]
    assert [(m.version, m.kind, m.amount_cents, m.balance_cents) for m in found] == [
        (1, MovementKind.OPENED, 1_000, 1_000),
        (2, MovementKind.DEPOSIT, 250, 1_250),
        (3, MovementKind.TRANSFER_OUT, -200, 1_050),
        (4, MovementKind.CLOSED, 0, 1_050),
    ]
    assert (found[2].reference, found[2].transfer_id) == ("rent", IDS[6])
    assert found[0].occurred_at.isoformat() == "2027-01-15T08:00:01+00:00"
    assert [seen.page_token for seen in fake.seen] == ["", "2", "2"]


async def test_a_statement_starts_after_a_page_token_and_names_an_unknown_account(
    fake: FakeTechbank, bank: TechbankClient
) -> None:
    fake.movements[IDS[0]] = STATEMENT
    assert [m.version async for m in bank.statement(IDS[0], page_token="3")] == [4]
    with pytest.raises(TechbankError) as raised:
        [m async for m in bank.statement(IDS[1])]
    assert (raised.value.code, raised.value.reason) == (Code.NOT_FOUND, "ACCOUNT_NOT_FOUND")


async def test_accounts_come_as_plain_values(bank: TechbankClient) -> None:
    found = await bank.get_account(IDS[2])
    assert (found.holder, found.balance_cents, found.version) == ("Ada", 300, 1)
    assert (found.account_type, found.status) == (AccountType.SAVINGS, AccountStatus.OPEN)
    assert found.opened_at.isoformat() == "2027-01-15T08:00:00+00:00"


async def test_an_error_carries_its_code_reason_metadata_and_every_invalid_field(
    fake: FakeTechbank, bank: TechbankClient
) -> None:
    fake.plan = [
        Refusal(
            Code.INVALID_ARGUMENT,
            "INVALID_ARGUMENT",
            "account_id must be a UUID, got 'x'; amount_cents must be greater than zero",
            {"accountId": "x"},
            (("account_id", "must be a UUID"), ("amount_cents", "must be greater than zero")),
        )
    ]
    with pytest.raises(TechbankError) as raised:
        await bank.deposit("x", 0)
    error = raised.value
    assert (error.code, error.reason, error.domain) == (
        Code.INVALID_ARGUMENT,
        "INVALID_ARGUMENT",
        "techbank.account.v1",
    )
    assert error.metadata == {"accountId": "x"}
    assert [v.field for v in error.field_violations] == ["account_id", "amount_cents"]
    assert str(error) == f"INVALID_ARGUMENT INVALID_ARGUMENT: {error.message}"


async def test_an_error_without_details_still_has_its_code() -> None:
    lonely = TechbankClient("127.0.0.1:1", "127.0.0.1:1", retry=RetryPolicy(attempts=1))
    async with lonely:
        with pytest.raises(TechbankError) as raised:
            await lonely.get_account(IDS[0])
    assert (raised.value.code, raised.value.reason) == (Code.UNAVAILABLE, "")
    assert str(raised.value).startswith("UNAVAILABLE: ")
