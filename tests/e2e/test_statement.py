"""An account's statement through real gRPC calls, on each stack."""

import uuid

import grpc

from harness.system import System
from techbank.account.v1 import commands_pb2, queries_pb2
from tests.e2e.helpers import TIMEOUT, open_account, refusal_of
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
