"""An account's statement through real gRPC calls, the Python client and the `techbank`
command, on each stack."""

import uuid
from functools import partial

import grpc
import pytest

from harness.system import System
from techbank.account.v1 import commands_pb2, queries_pb2
from techbank_client import AccountType, MovementKind
from tests.e2e.helpers import TIMEOUT, open_account, refusal_of
from tests.e2e.test_client_and_cli import client_of, techbank
from tests.e2e.test_transfers import transfer

Status = grpc.StatusCode
Q = queries_pb2


def statement(
    system: System, account_id: str, page_size: int = 0, page_token: str = "", min_version: int = 0
) -> list[Q.GetAccountStatementResponse]:
    request = Q.GetAccountStatementRequest(
        account_id=account_id, page_size=page_size, page_token=page_token
    )
    if min_version:
        request.min_version = min_version
    return list(system.queries.GetAccountStatement(request, timeout=TIMEOUT))


def lines(pages: list[Q.GetAccountStatementResponse]) -> list[tuple[int, str, int, int, str]]:
    return [
        (m.version, Q.MovementKind.Name(m.kind)[14:], m.amount_cents, m.balance_cents, m.reference)
        for page in pages
        for m in page.movements
    ]


def test_the_statement_lists_every_movement_with_its_running_balance(system: System) -> None:
    account_id = open_account(system.commands, cents=1_000).account_id
    other = open_account(system.commands).account_id
    system.commands.DepositFunds(
        commands_pb2.DepositFundsRequest(account_id=account_id, amount_cents=250, reference="pay"),
        timeout=TIMEOUT,
    )
    system.commands.WithdrawFunds(
        commands_pb2.WithdrawFundsRequest(account_id=account_id, amount_cents=50),
        timeout=TIMEOUT,
    )
    moved = transfer(system, account_id, other, 200)
    system.commands.CloseAccount(
        commands_pb2.CloseAccountRequest(account_id=account_id), timeout=TIMEOUT
    )
    pages = statement(system, account_id, page_size=2, min_version=5)
    assert [len(page.movements) for page in pages] == [2, 2, 1]
    assert lines(pages) == [
        (1, "OPENED", 1_000, 1_000, ""),
        (2, "DEPOSIT", 250, 1_250, "pay"),
        (3, "WITHDRAWAL", -50, 1_200, ""),
        (4, "TRANSFER_OUT", -200, 1_000, "invoice 42"),
        (5, "CLOSED", 0, 1_000, ""),
    ]
    assert pages[1].movements[1].transfer_id == moved.transfer_id
    resumed = statement(system, account_id, page_size=2, page_token=pages[0].next_page_token)
    assert lines(resumed) == lines(pages)[2:]
    credited = lines(statement(system, other, min_version=2))
    assert credited[-1] == (2, "TRANSFER_IN", 200, 200, "invoice 42")


def test_an_unknown_account_or_another_accounts_token_is_refused(system: System) -> None:
    account_id = open_account(system.commands).account_id
    other = open_account(system.commands).account_id
    unknown = refusal_of(lambda: statement(system, str(uuid.uuid4())))
    assert (unknown.code, unknown.reason) == (Status.NOT_FOUND, "ACCOUNT_NOT_FOUND")
    system.commands.DepositFunds(
        commands_pb2.DepositFundsRequest(account_id=account_id, amount_cents=1), timeout=TIMEOUT
    )
    [first, _] = statement(system, account_id, page_size=1, min_version=2)
    stolen = refusal_of(lambda: statement(system, other, page_token=first.next_page_token))
    assert (stolen.code, stolen.reason) == (Status.INVALID_ARGUMENT, "INVALID_PAGE_TOKEN")
    bad = refusal_of(lambda: statement(system, "x"))
    assert (bad.code, bad.fields) == (Status.INVALID_ARGUMENT, ["account_id"])


def move_money(system: System, account_id: str, cents: list[int]) -> None:
    """Deposit each positive amount (with a reference) and withdraw each negative one."""
    for amount in cents:
        if amount > 0:
            deposit = commands_pb2.DepositFundsRequest(
                account_id=account_id, amount_cents=amount, reference=f"in {amount}"
            )
            system.commands.DepositFunds(deposit, timeout=TIMEOUT)
        else:
            withdrawal = commands_pb2.WithdrawFundsRequest(
                account_id=account_id, amount_cents=-amount
            )
            system.commands.WithdrawFunds(withdrawal, timeout=TIMEOUT)


def test_many_movements_come_in_small_pages_and_a_broken_stream_resumes(system: System) -> None:
    cents = [300, -120, 45, 1_000, -1_225, 7, -1]
    account_id = open_account(system.commands, cents=100).account_id
    move_money(system, account_id, cents)
    system.commands.CloseAccount(
        commands_pb2.CloseAccountRequest(account_id=account_id), timeout=TIMEOUT
    )
    balances = [100 + sum(cents[:i]) for i in range(1, len(cents) + 1)]
    kinds = ["DEPOSIT" if c > 0 else "WITHDRAWAL" for c in cents]
    expected = [
        (1, "OPENED", 100, 100, ""),
        *[
            (v, kind, c, b, f"in {c}" if c > 0 else "")
            for v, kind, c, b in zip(range(2, 9), kinds, cents, balances, strict=True)
        ],
        (9, "CLOSED", 0, 106, ""),
    ]
    pages = statement(system, account_id, page_size=3, min_version=9)
    assert [len(page.movements) for page in pages] == [3, 3, 3]
    assert lines(pages) == expected
    request = Q.GetAccountStatementRequest(account_id=account_id, page_size=2)
    stream = system.queries.GetAccountStatement(request, timeout=TIMEOUT)
    delivered = [next(stream), next(stream)]
    stream.cancel()
    rest = statement(system, account_id, page_size=4, page_token=delivered[-1].next_page_token)
    assert lines(delivered) + lines(rest) == expected
    assert rest[-1].next_page_token == ""


@pytest.mark.stack_independent  # checked before any read
def test_a_bad_request_is_refused_naming_every_field_and_any_foreign_token(
    system: System,
) -> None:
    account_id = open_account(system.commands).account_id
    bad = Q.GetAccountStatementRequest(account_id="x", page_size=-1, page_token="?", min_version=0)
    refused = refusal_of(lambda: list(system.queries.GetAccountStatement(bad, timeout=TIMEOUT)))
    assert refused.code == Status.INVALID_ARGUMENT
    assert refused.fields == ["account_id", "page_size", "page_token", "min_version"]
    for token in ("not-a-token", accounts_token(system)):
        foreign = refusal_of(partial(statement, system, account_id, page_token=token))
        assert (foreign.code, foreign.reason) == (Status.INVALID_ARGUMENT, "INVALID_PAGE_TOKEN")
        assert foreign.fields == ["page_token"]


def accounts_token(system: System) -> str:
    """A token FindAllAccounts gave: good for that query only."""
    open_account(system.commands)
    open_account(system.commands)
    request = Q.FindAllAccountsRequest(page_size=1)
    stream = system.queries.FindAllAccounts(request, timeout=TIMEOUT)
    token = next(stream).next_page_token
    stream.cancel()
    return token


@pytest.mark.stack_independent  # the client's side; the servers': the tests above
async def test_the_client_and_the_command_line_read_a_statement(system: System) -> None:
    async with client_of(system) as bank:
        opened = await bank.open_account("Statement reader", AccountType.CURRENT, 500)
        await bank.deposit(opened.account_id, 250)
        withdrawn = await bank.withdraw(opened.account_id, 700)
        found = [
            (m.version, m.kind, m.amount_cents, m.balance_cents, m.reference)
            async for m in bank.statement(
                opened.account_id, page_size=2, min_version=withdrawn.version
            )
        ]
    assert found == [
        (1, MovementKind.OPENED, 500, 500, ""),
        (2, MovementKind.DEPOSIT, 250, 750, ""),
        (3, MovementKind.WITHDRAWAL, -700, 50, ""),
    ]
    shown = techbank(system, "--json", "accounts", "statement", opened.account_id).json()
    assert [(m["kind"], m["amount_cents"], m["balance_cents"]) for m in shown] == [
        ("opened", 500, 500),
        ("deposit", 250, 750),
        ("withdrawal", -700, 50),
    ]
    people = techbank(system, "accounts", "statement", opened.account_id).ok().out.splitlines()
    assert people[1].split()[2:] == ["deposit", "+2.50", "7.50"]
    assert people[-1] == "3 movements"
