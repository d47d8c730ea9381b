"""Transfers, references and balances as of a moment, through real gRPC calls on each stack."""

import time
import uuid

import grpc
import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from harness.system import System
from techbank.account.v1 import commands_pb2, history_pb2, queries_pb2, transfers_pb2
from tests.e2e.helpers import TIMEOUT, open_account, read, refusal_of
from tests.e2e.server_logs import LogWatch

Status = grpc.StatusCode
T = transfers_pb2


def transfer(
    system: System, source: str, target: str, cents: int, request_id: str = ""
) -> transfers_pb2.Transfer:
    request = T.TransferFundsRequest(
        source_account_id=source,
        target_account_id=target,
        amount_cents=cents,
        reference="invoice 42",
        request_id=request_id or str(uuid.uuid4()),
    )
    answer: T.TransferFundsResponse = system.transfers.TransferFunds(request, timeout=TIMEOUT)
    return answer.transfer


def test_a_transfer_moves_money_and_is_readable(system: System) -> None:
    source = open_account(system.commands, cents=1_000).account_id
    target = open_account(system.commands).account_id
    done = transfer(system, source, target, 300)
    assert (done.status, done.amount_cents, done.reference) == (
        T.TRANSFER_STATUS_COMPLETED,
        300,
        "invoice 42",
    )
    assert (done.source_account_id, done.target_account_id, done.version) == (source, target, 3)
    assert read(system.queries, source, 2).balance_cents == 700
    assert read(system.queries, target, 2).balance_cents == 300
    found = system.transfers.GetTransfer(
        T.GetTransferRequest(transfer_id=done.transfer_id), timeout=TIMEOUT
    )
    assert found.transfer == done


def test_refused_transfers_say_why_and_leave_the_money_where_it_was(system: System) -> None:
    source = open_account(system.commands, cents=100).account_id
    target = open_account(system.commands).account_id
    poor = transfer(system, source, target, 300)
    assert (poor.status, poor.refusal_reason, poor.refunded) == (
        T.TRANSFER_STATUS_REFUSED,
        "INSUFFICIENT_FUNDS",
        False,
    )
    system.commands.CloseAccount(
        commands_pb2.CloseAccountRequest(account_id=target), timeout=TIMEOUT
    )
    closed = transfer(system, source, target, 60)
    assert (closed.status, closed.refusal_reason, closed.refunded) == (
        T.TRANSFER_STATUS_REFUSED,
        "ACCOUNT_CLOSED",
        True,
    )
    missing = transfer(system, source, str(uuid.uuid4()), 60)
    assert (missing.refusal_reason, missing.refunded) == ("ACCOUNT_NOT_FOUND", False)
    not_an_account = transfer(system, source, closed.transfer_id, 60)
    assert (not_an_account.refusal_reason, not_an_account.refunded) == ("ACCOUNT_NOT_FOUND", False)
    # Debited and refunded once (versions 2 and 3); the others were refused before any debit.
    assert read(system.queries, source, 3).balance_cents == 100
    assert read(system.queries, source, 3).version == 3


def test_a_repeated_transfer_request_is_one_transfer(system: System) -> None:
    source = open_account(system.commands, cents=1_000).account_id
    target = open_account(system.commands).account_id
    first = transfer(system, source, target, 10, "pay-rent")
    again = transfer(system, source, target, 10, "pay-rent")
    assert first == again
    assert read(system.queries, target, 2).balance_cents == 10


def test_bad_transfers_are_refused_naming_every_field(system: System) -> None:
    source = open_account(system.commands, cents=1_000).account_id
    same = refusal_of(lambda: transfer(system, source, source, 1))
    assert (same.code, same.reason, same.fields) == (
        Status.INVALID_ARGUMENT,
        "SAME_ACCOUNT",
        ["target_account_id"],
    )
    bad = refusal_of(lambda: transfer(system, "nope", "", 0))
    assert bad.code == Status.INVALID_ARGUMENT
    assert set(bad.fields) >= {"source_account_id", "target_account_id", "amount_cents"}
    unknown = refusal_of(
        lambda: system.transfers.GetTransfer(
            T.GetTransferRequest(transfer_id=str(uuid.uuid4())), timeout=TIMEOUT
        )
    )
    assert (unknown.code, unknown.reason) == (Status.NOT_FOUND, "TRANSFER_NOT_FOUND")


# Checked before the account is loaded; references on each stack: test_statement.
@pytest.mark.stack_independent
def test_a_reference_is_checked_like_any_text(system: System) -> None:
    account_id = open_account(system.commands).account_id
    too_long = refusal_of(
        lambda: system.commands.DepositFunds(
            commands_pb2.DepositFundsRequest(
                account_id=account_id, amount_cents=1, reference="x" * 141
            ),
            timeout=TIMEOUT,
        )
    )
    assert (too_long.code, too_long.fields) == (Status.INVALID_ARGUMENT, ["reference"])
    deposited = system.commands.DepositFunds(
        commands_pb2.DepositFundsRequest(account_id=account_id, amount_cents=1, reference="gift"),
        timeout=TIMEOUT,
    )
    assert deposited.version == 2


def test_the_balance_as_of_a_moment_is_replayed_from_the_event_store(system: System) -> None:
    before = _now()
    time.sleep(0.01)
    account_id = open_account(system.commands, cents=100).account_id
    time.sleep(0.01)
    between = _now()
    time.sleep(0.01)
    system.commands.DepositFunds(
        commands_pb2.DepositFundsRequest(account_id=account_id, amount_cents=50), timeout=TIMEOUT
    )

    def as_of(moment: Timestamp) -> history_pb2.GetBalanceAsOfResponse:
        request = history_pb2.GetBalanceAsOfRequest(account_id=account_id, as_of=moment)
        answer: history_pb2.GetBalanceAsOfResponse = system.history.GetBalanceAsOf(
            request, timeout=TIMEOUT
        )
        return answer

    assert (as_of(between).balance_cents, as_of(between).version) == (100, 1)
    assert (as_of(_now()).balance_cents, as_of(_now()).version) == (150, 2)
    early = refusal_of(lambda: as_of(before))
    assert (early.code, early.reason) == (Status.NOT_FOUND, "ACCOUNT_NOT_FOUND")
    missing = refusal_of(
        lambda: system.history.GetBalanceAsOf(
            history_pb2.GetBalanceAsOfRequest(account_id=account_id), timeout=TIMEOUT
        )
    )
    assert (missing.code, missing.fields) == (Status.INVALID_ARGUMENT, ["as_of"])


def test_the_ledger_balances_after_transfers(system: System) -> None:
    checked = system.run_tool("command_server.ledger")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "0 problem(s)" in checked.stdout


def _now() -> Timestamp:
    stamp = Timestamp()
    stamp.GetCurrentTime()
    return stamp


def test_an_id_of_the_other_kind_is_not_found_on_every_rpc(system: System) -> None:
    """The store records each stream's type: a transfer's id names no account, and an
    account's no transfer, as an unknown id names neither (and nothing is logged)."""
    logs = LogWatch(system.processes)
    account = open_account(system.commands, cents=1_000).account_id
    other = open_account(system.commands).account_id
    transfer_id = transfer(system, account, other, 100).transfer_id
    at = _now()
    calls = {
        "DepositFunds": lambda: system.commands.DepositFunds(
            commands_pb2.DepositFundsRequest(account_id=transfer_id, amount_cents=1),
            timeout=TIMEOUT,
        ),
        "WithdrawFunds": lambda: system.commands.WithdrawFunds(
            commands_pb2.WithdrawFundsRequest(account_id=transfer_id, amount_cents=1),
            timeout=TIMEOUT,
        ),
        "CloseAccount": lambda: system.commands.CloseAccount(
            commands_pb2.CloseAccountRequest(account_id=transfer_id), timeout=TIMEOUT
        ),
        "GetBalanceAsOf": lambda: system.history.GetBalanceAsOf(
            history_pb2.GetBalanceAsOfRequest(account_id=transfer_id, as_of=at), timeout=TIMEOUT
        ),
        "FindAccountById": lambda: system.queries.FindAccountById(
            queries_pb2.FindAccountByIdRequest(account_id=transfer_id), timeout=TIMEOUT
        ),
        "GetTransfer": lambda: system.transfers.GetTransfer(
            T.GetTransferRequest(transfer_id=account), timeout=TIMEOUT
        ),
    }
    answers = {name: refusal_of(call) for name, call in calls.items()}
    expected = {name: (Status.NOT_FOUND, "ACCOUNT_NOT_FOUND") for name in calls}
    expected["GetTransfer"] = (Status.NOT_FOUND, "TRANSFER_NOT_FOUND")
    assert {name: (r.code, r.reason) for name, r in answers.items()} == expected
    assert logs.new_trouble() == []
