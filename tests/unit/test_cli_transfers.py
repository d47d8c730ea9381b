"""`techbank transfers ...`, `accounts balance-as-of` and references against the fake
server: what each prints, its exit status (a refused transfer is an answer, exit 1), and
bad input refused before any call."""

import json
from collections.abc import AsyncIterator

import grpc
import pytest

from techbank.account.v1 import commands_pb2
from tests.support.fake_techbank import FakeTechbank, Refusal, account, serving
from tests.unit.test_cli import techbank

ADA, BOB = account(1, "Ada", balance_cents=12_000), account(2, "Bob")
REFERENCE = "rent\x1b[2J"  # a control character, to be escaped for people


@pytest.fixture
def fake() -> FakeTechbank:
    return FakeTechbank(accounts=[ADA, BOB])


@pytest.fixture
async def address(fake: FakeTechbank) -> AsyncIterator[str]:
    async with serving(fake) as serving_at:
        yield serving_at


def fields(out: str) -> dict[str, str]:
    """A block of `name  value` lines, as a dict."""
    return dict(line.split(maxsplit=1) for line in out.splitlines())


async def test_send_shows_the_transfer_completed(
    fake: FakeTechbank, address: str, capsys: pytest.CaptureFixture[str]
) -> None:
    sent = ["transfers", "send", ADA.account_id, BOB.account_id, "2505", "--reference", REFERENCE]
    assert await techbank(address, *sent) == 0
    (transfer_id,) = fake.transfers
    assert fields(capsys.readouterr().out) == {
        "transfer": transfer_id,
        "from": ADA.account_id,
        "to": BOB.account_id,
        "amount": "25.05",
        "reference": "rent\\u001b[2J",
        "status": "completed",
        "version": "3",
    }


async def test_send_in_json_is_one_object_with_every_field(
    fake: FakeTechbank, address: str, capsys: pytest.CaptureFixture[str]
) -> None:
    sent = ["transfers", "send", ADA.account_id, BOB.account_id, "5", "--json"]
    assert await techbank(address, *sent) == 0
    (transfer_id,) = fake.transfers
    assert json.loads(capsys.readouterr().out) == {
        "transfer_id": transfer_id,
        "source_account_id": ADA.account_id,
        "target_account_id": BOB.account_id,
        "amount_cents": 5,
        "reference": "",
        "status": "completed",
        "refusal_reason": "",
        "refusal_message": "",
        "refunded": False,
        "version": 3,
    }


async def test_a_refused_transfer_is_shown_with_why_and_exits_1(
    address: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status = await techbank(address, "transfers", "send", ADA.account_id, BOB.account_id, "12001")
    captured = capsys.readouterr()
    shown = fields(captured.out)
    assert (status, captured.err, shown["status"], shown["refunded"]) == (1, "", "refused", "no")
    assert shown["refusal"] == "INSUFFICIENT_FUNDS: Withdraw declined, insufficient funds!"


async def test_a_transfer_still_under_way_exits_3_and_can_be_shown_later(
    fake: FakeTechbank, address: str, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.transfers_pending = True
    assert await techbank(address, "transfers", "send", ADA.account_id, BOB.account_id, "5") == 3
    (transfer_id,) = fake.transfers
    assert fields(capsys.readouterr().out)["status"] == "pending"
    assert await techbank(address, "--json", "transfers", "show", transfer_id) == 0
    assert json.loads(capsys.readouterr().out)["status"] == "pending"


async def test_send_is_retried_with_its_request_id(
    fake: FakeTechbank, address: str, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.plan = [grpc.StatusCode.UNAVAILABLE]
    sent = ["transfers", "send", ADA.account_id, BOB.account_id, "5", "--request-id", "pay-7"]
    assert await techbank(address, *sent) == 0
    assert [seen.request_id for seen in fake.seen] == ["pay-7", "pay-7"]
    assert len(fake.transfers) == 1 and "completed" in capsys.readouterr().out


async def test_show_of_an_unknown_transfer_exits_with_not_found(
    address: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status = await techbank(address, "transfers", "show", "00000000-0000-4000-9000-000000000009")
    captured = capsys.readouterr()
    assert (status, captured.out) == (10 + 5, "")
    assert captured.err.startswith("error: NOT_FOUND TRANSFER_NOT_FOUND: ")


async def test_a_server_s_refusal_of_bad_input_is_one_line_and_its_exit_status(
    fake: FakeTechbank, address: str, capsys: pytest.CaptureFixture[str]
) -> None:
    message = "target_account_id must differ from source_account_id"
    fake.plan = [Refusal(grpc.StatusCode.INVALID_ARGUMENT, "SAME_ACCOUNT", message)]
    status = await techbank(address, "transfers", "send", ADA.account_id, ADA.account_id, "5")
    captured = capsys.readouterr()
    assert (status, captured.out) == (10 + 3, "")
    assert captured.err == f"error: INVALID_ARGUMENT SAME_ACCOUNT: {message}\n"


async def test_balance_as_of_shows_the_moment_in_utc(
    address: str, capsys: pytest.CaptureFixture[str]
) -> None:
    moment = "2027-01-15T10:30:00+02:00"
    assert await techbank(address, "accounts", "balance-as-of", ADA.account_id, moment) == 0
    assert fields(capsys.readouterr().out) == {
        "account": ADA.account_id,
        "as-of": "2027-01-15T08:30:00.000Z",
        "balance": "120.00",
        "status": "open",
        "version": "1",
    }
    moment = "2027-01-15T08:30:00Z"
    assert (
        await techbank(address, "--json", "accounts", "balance-as-of", BOB.account_id, moment) == 0
    )
    assert json.loads(capsys.readouterr().out) == {
        "account_id": BOB.account_id,
        "as_of": "2027-01-15T08:30:00.000Z",
        "balance_cents": 0,
        "status": "open",
        "version": 1,
    }


async def test_balance_before_the_account_existed_exits_with_not_found(
    address: str, capsys: pytest.CaptureFixture[str]
) -> None:
    moment = "2020-01-01T00:00:00Z"
    assert await techbank(address, "accounts", "balance-as-of", ADA.account_id, moment) == 15
    assert capsys.readouterr().err.startswith("error: NOT_FOUND ACCOUNT_NOT_FOUND: ")


@pytest.mark.parametrize(
    ("command", "complaint"),
    [
        (["accounts", "balance-as-of", "ID", "2027-01-15T08:30:00"], "has no timezone"),
        (["accounts", "balance-as-of", "ID", "yesterday"], "not an ISO 8601 moment"),
        (["transfers", "send", "A", "B", "25.05"], "amount must be whole cents"),
        (["transfers", "send", "A", "B"], "required: CENTS"),
        (["transfers", "show"], "required: TRANSFER_ID"),
    ],
)
async def test_bad_input_is_a_usage_error_before_any_call(
    fake: FakeTechbank,
    address: str,
    capsys: pytest.CaptureFixture[str],
    command: list[str],
    complaint: str,
) -> None:
    assert await techbank(address, *command) == 2
    assert complaint in capsys.readouterr().err
    assert fake.seen == []


async def test_deposit_and_withdraw_send_their_reference(
    fake: FakeTechbank, address: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        await techbank(address, "accounts", "deposit", ADA.account_id, "5", "--reference", "gift")
        == 0
    )
    assert await techbank(address, "accounts", "withdraw", ADA.account_id, "5") == 0
    deposit, withdrawal = (seen.request for seen in fake.seen)
    assert isinstance(deposit, commands_pb2.DepositFundsRequest) and deposit.reference == "gift"
    assert isinstance(withdrawal, commands_pb2.WithdrawFundsRequest) and withdrawal.reference == ""
    assert capsys.readouterr().out.startswith(f"deposited 0.05 into {ADA.account_id} (version 2)")
