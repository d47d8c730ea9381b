"""The `techbank` command against the fake server: human and JSON output, and errors as
one line and an exit status, never a traceback."""

import asyncio
import json
from collections.abc import AsyncIterator

import grpc
import pytest

from techbank.account.v1 import queries_pb2 as q
from techbank_client.cli import main
from tests.support.fake_techbank import FakeTechbank, Refusal, account, movement, serving

ADA = account(1, "Ada", balance_cents=12000)
BOB = account(2, "Bob\x1b[31m", balance_cents=5)


STATEMENT = [
    movement(1, q.MOVEMENT_KIND_OPENED, 12_000, 12_000),
    movement(2, q.MOVEMENT_KIND_WITHDRAWAL, -2_505, 9_495),
    movement(3, q.MOVEMENT_KIND_TRANSFER_IN, 5, 9_500),
]
STATEMENT[1].reference = "rent\x1b[2J"
STATEMENT[2].transfer_id = BOB.account_id


@pytest.fixture
def fake() -> FakeTechbank:
    faked = FakeTechbank(accounts=[ADA, BOB])
    faked.movements[ADA.account_id] = STATEMENT
    return faked


@pytest.fixture
async def address(fake: FakeTechbank) -> AsyncIterator[str]:
    async with serving(fake) as serving_at:
        yield serving_at


async def techbank(address: str, *args: str) -> int:
    """The command, run as `techbank` would be, while the fake serves on this loop."""
    where = ["--command-address", address, "--query-address", address]
    return await asyncio.to_thread(main, [*where, *args])


async def test_get_shows_amounts_as_decimal_currency(
    address: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await techbank(address, "accounts", "get", ADA.account_id) == 0
    shown = dict(line.split(maxsplit=1) for line in capsys.readouterr().out.splitlines())
    assert shown == {
        "account": ADA.account_id,
        "holder": "Ada",
        "type": "savings",
        "status": "open",
        "balance": "120.00",
        "opened": "2027-01-15T08:00:00.000Z",
        "version": "1",
    }


async def test_json_gives_one_object_per_account_with_int64_as_numbers(
    address: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await techbank(address, "accounts", "list", "--json") == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(a["holder"], a["balance_cents"], a["version"]) for a in lines] == [
        ("Ada", 12000, 1),
        ("Bob\x1b[31m", 5, 1),
    ]


async def test_people_never_get_control_characters_on_their_terminal(
    address: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await techbank(address, "accounts", "find", "--below", "100") == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "Bob\\u001b[31m" in out
    assert out.splitlines()[-1] == "1 account"


async def test_commands_say_what_they_did(address: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert await techbank(address, "accounts", "withdraw", ADA.account_id, "2505") == 0
    assert await techbank(address, "--json", "accounts", "close", ADA.account_id) == 0
    human, machine = capsys.readouterr().out.splitlines()
    assert human == f"withdrew 25.05 from {ADA.account_id} (version 3)"
    assert json.loads(machine) == {"account_id": ADA.account_id, "version": 4}


async def test_a_statement_shows_each_movement_signed_with_the_balance_after_it(
    address: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await techbank(address, "accounts", "statement", ADA.account_id, "--page-size", "2") == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[2:5] for line in lines[:3]] == [
        ["opened", "+120.00", "120.00"],
        ["withdrawal", "-25.05", "94.95"],
        ["transfer_in", "+0.05", "95.00"],
    ]
    assert lines[0].split()[:2] == ["v1", "2027-01-15T08:00:01.000Z"]
    assert lines[1].endswith("  rent\\u001b[2J")
    assert lines[2].endswith(f"  (transfer {BOB.account_id})")
    assert lines[3] == "3 movements"


async def test_a_statement_in_json_is_one_object_per_movement(
    address: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await techbank(address, "--json", "accounts", "statement", ADA.account_id) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert lines[1] == {
        "version": 2,
        "kind": "withdrawal",
        "amount_cents": -2505,
        "balance_cents": 9495,
        "occurred_at": "2027-01-15T08:00:02.000Z",
        "reference": "rent\x1b[2J",
        "transfer_id": "",
    }
    assert len(lines) == 3


async def test_a_statement_of_an_unknown_account_exits_with_not_found(
    address: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await techbank(address, "accounts", "statement", BOB.account_id) == 10 + 5
    assert capsys.readouterr().err.startswith("error: NOT_FOUND ACCOUNT_NOT_FOUND: ")


async def test_a_refusal_is_one_line_and_an_exit_status_of_its_own(
    fake: FakeTechbank, address: str, capsys: pytest.CaptureFixture[str]
) -> None:
    message = "Withdraw declined, insufficient funds!"
    fake.plan = [Refusal(grpc.StatusCode.FAILED_PRECONDITION, "INSUFFICIENT_FUNDS", message)]
    status = await techbank(address, "accounts", "withdraw", ADA.account_id, "999999")
    captured = capsys.readouterr()
    assert captured.err == f"error: FAILED_PRECONDITION INSUFFICIENT_FUNDS: {message}\n"
    assert (status, captured.out) == (10 + 9, "")


def test_no_server_is_unavailable_without_a_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["--query-address", "127.0.0.1:1", "accounts", "get", ADA.account_id])
    err = capsys.readouterr().err
    assert status == 10 + 14 and err.startswith("error: UNAVAILABLE: ")
    assert "Traceback" not in err and len(err.splitlines()) == 1


def test_a_token_without_tls_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--token", "t0ken", "accounts", "close", ADA.account_id]) == 2
    assert capsys.readouterr().err == (
        "error: a bearer token needs TLS: the servers never take one in the clear\n"
    )


@pytest.mark.parametrize("words", [["admin"], ["admin", "--help"], ["admin", "restore"]])
def test_admin_points_to_techbank_admin_in_one_line(
    words: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(words) == 2
    err = capsys.readouterr().err
    assert err.splitlines() == [
        "error: the operator's tools are `techbank-admin` (or `python -m admin`) now"
    ]
