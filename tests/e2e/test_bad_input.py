"""Bad input on every RPC gets a clear status and a message naming the problem."""

import uuid
from collections.abc import Callable
from typing import Any

import grpc
import pytest

from harness.system import System
from techbank.account.v1 import commands_pb2 as c
from techbank.account.v1 import queries_pb2 as q
from tests.e2e.helpers import SAVINGS, TIMEOUT, expect_status, open_account

Status = grpc.StatusCode
UNKNOWN = str(uuid.uuid4())
INT64_MAX = 2**63 - 1

# Holders with a character of a refused category: the refusal names it by code point.
INVISIBLE_HOLDERS = [
    ("Ann\u202eLee", "found U+202E (Cf) at position 3"),
    ("\u200b", "found U+200B (Cf) at position 0"),
    ("Ann\u0000", "found U+0000 (Cc) at position 3"),
]

# (rpc name, request, expected code, words the message must contain)
COMMAND_CASES: list[tuple[str, Any, grpc.StatusCode, str]] = [
    (
        "OpenAccount",
        c.OpenAccountRequest(holder="", account_type=SAVINGS),
        Status.INVALID_ARGUMENT,
        "holder",
    ),
    (
        "OpenAccount",
        c.OpenAccountRequest(holder=" \t", account_type=SAVINGS),
        Status.INVALID_ARGUMENT,
        "holder",
    ),
    (
        "OpenAccount",
        c.OpenAccountRequest(holder="x" * 201, account_type=SAVINGS),
        Status.INVALID_ARGUMENT,
        "holder",
    ),
    *(
        (
            "OpenAccount",
            c.OpenAccountRequest(holder=holder, account_type=SAVINGS),
            Status.INVALID_ARGUMENT,
            words,
        )
        for holder, words in INVISIBLE_HOLDERS
    ),
    ("OpenAccount", c.OpenAccountRequest(holder="Ada"), Status.INVALID_ARGUMENT, "account_type"),
    (
        "OpenAccount",
        c.OpenAccountRequest(holder="Ada", account_type=99),  # type: ignore[arg-type]
        Status.INVALID_ARGUMENT,
        "account_type",
    ),
    (
        "OpenAccount",
        c.OpenAccountRequest(holder="Ada", account_type=SAVINGS, opening_balance_cents=-1),
        Status.INVALID_ARGUMENT,
        "opening_balance_cents",
    ),
    (
        "OpenAccount",
        c.OpenAccountRequest(holder="Ada", account_type=SAVINGS, request_id="r" * 129),
        Status.INVALID_ARGUMENT,
        "request_id",
    ),
    (  # FerretDB's PostgreSQL keeps no NUL: it answered UNAVAILABLE, retried for ever
        "OpenAccount",
        c.OpenAccountRequest(holder="Ada", account_type=SAVINGS, request_id="pay\x00-1"),
        Status.INVALID_ARGUMENT,
        "found U+0000 at position 3",
    ),
    (
        "DepositFunds",
        c.DepositFundsRequest(account_id=UNKNOWN, amount_cents=1, request_id="pay\n1"),
        Status.INVALID_ARGUMENT,
        "request_id must not contain control characters",
    ),
    (
        "DepositFunds",
        c.DepositFundsRequest(account_id="not-a-uuid", amount_cents=1),
        Status.INVALID_ARGUMENT,
        "account_id",
    ),
    (
        "DepositFunds",
        c.DepositFundsRequest(account_id="", amount_cents=1),
        Status.INVALID_ARGUMENT,
        "account_id",
    ),
    (
        "DepositFunds",
        c.DepositFundsRequest(account_id=UNKNOWN, amount_cents=1),
        Status.NOT_FOUND,
        "Incorrect account ID provided!",
    ),
    (
        "DepositFunds",
        c.DepositFundsRequest(account_id=UNKNOWN, amount_cents=1, expected_version=0),
        Status.INVALID_ARGUMENT,
        "expected_version",
    ),
    (
        "WithdrawFunds",
        c.WithdrawFundsRequest(account_id="1234", amount_cents=1),
        Status.INVALID_ARGUMENT,
        "account_id",
    ),
    (
        "WithdrawFunds",
        c.WithdrawFundsRequest(account_id=UNKNOWN, amount_cents=1),
        Status.NOT_FOUND,
        "Incorrect account ID provided!",
    ),
    (
        "CloseAccount",
        c.CloseAccountRequest(account_id="'; DROP TABLE events;--"),
        Status.INVALID_ARGUMENT,
        "account_id",
    ),
    (
        "CloseAccount",
        c.CloseAccountRequest(account_id=UNKNOWN),
        Status.NOT_FOUND,
        "Incorrect account ID provided!",
    ),
    (
        "CloseAccount",
        c.CloseAccountRequest(account_id=UNKNOWN, expected_version=-3),
        Status.INVALID_ARGUMENT,
        "expected_version",
    ),
]

QUERY_CASES: list[tuple[str, Any, grpc.StatusCode, str]] = [
    (
        "FindAccountById",
        q.FindAccountByIdRequest(account_id="nope"),
        Status.INVALID_ARGUMENT,
        "account_id",
    ),
    (
        "FindAccountById",
        q.FindAccountByIdRequest(account_id=UNKNOWN),
        Status.NOT_FOUND,
        "Incorrect account ID provided!",
    ),
    (
        "FindAccountById",
        q.FindAccountByIdRequest(account_id=UNKNOWN, min_version=0),
        Status.INVALID_ARGUMENT,
        "min_version",
    ),
    (
        "FindAccountsByHolder",
        q.FindAccountsByHolderRequest(holder=""),
        Status.INVALID_ARGUMENT,
        "holder",
    ),
    (
        "FindAccountsByHolder",
        q.FindAccountsByHolderRequest(holder="x" * 201),
        Status.INVALID_ARGUMENT,
        "holder",
    ),
    *(
        (
            "FindAccountsByHolder",
            q.FindAccountsByHolderRequest(holder=holder),
            Status.INVALID_ARGUMENT,
            words,
        )
        for holder, words in INVISIBLE_HOLDERS
    ),
    (
        "FindAccountsWithBalance",
        q.FindAccountsWithBalanceRequest(balance_cents=5),
        Status.INVALID_ARGUMENT,
        "equality_type",
    ),
]


def _call(stub: Any, rpc: str, request: Any) -> Callable[[], object]:
    return lambda: getattr(stub, rpc)(request, timeout=TIMEOUT)


@pytest.mark.parametrize(("rpc", "request_", "code", "words"), COMMAND_CASES)
def test_bad_command_is_refused_clearly(
    system: System, rpc: str, request_: Any, code: grpc.StatusCode, words: str
) -> None:
    expect_status(_call(system.commands, rpc, request_), code, words)


@pytest.mark.parametrize(("rpc", "request_", "code", "words"), QUERY_CASES)
def test_bad_query_is_refused_clearly(
    system: System, rpc: str, request_: Any, code: grpc.StatusCode, words: str
) -> None:
    expect_status(_call(system.queries, rpc, request_), code, words)


@pytest.mark.stack_independent
def test_find_all_with_negative_page_size_is_refused(system: System) -> None:
    stream = system.queries.FindAllAccounts(q.FindAllAccountsRequest(page_size=-1), timeout=TIMEOUT)
    expect_status(lambda: list(stream), Status.INVALID_ARGUMENT, "page_size")


@pytest.mark.parametrize(
    ("rpc", "message"),
    [("DepositFunds", c.DepositFundsRequest), ("WithdrawFunds", c.WithdrawFundsRequest)],
)
@pytest.mark.stack_independent  # checked before the account is loaded
@pytest.mark.parametrize("amount", [0, -1, -(2**63)])
def test_non_positive_amounts_are_refused(
    system: System, rpc: str, message: Any, amount: int
) -> None:
    account_id = open_account(system.commands, cents=10).account_id
    request = message(account_id=account_id, amount_cents=amount)
    expect_status(_call(system.commands, rpc, request), Status.INVALID_ARGUMENT, "amount_cents")


def test_deposit_that_would_overflow_int64_is_refused(system: System) -> None:
    account_id = open_account(system.commands, cents=INT64_MAX).account_id
    request = c.DepositFundsRequest(account_id=account_id, amount_cents=1)
    expect_status(
        _call(system.commands, "DepositFunds", request), Status.FAILED_PRECONDITION, "amount_cents"
    )
    check = c.DepositFundsRequest(account_id=account_id, amount_cents=1, expected_version=1)
    expect_status(
        _call(system.commands, "DepositFunds", check), Status.FAILED_PRECONDITION, "overflow"
    )


def test_rejected_commands_store_nothing(system: System) -> None:
    account_id = open_account(system.commands, cents=10).account_id
    for request in (
        c.WithdrawFundsRequest(account_id=account_id, amount_cents=11),
        c.WithdrawFundsRequest(account_id=account_id, amount_cents=-1),
    ):
        with pytest.raises(grpc.RpcError):
            system.commands.WithdrawFunds(request, timeout=TIMEOUT)
    deposit = c.DepositFundsRequest(account_id=account_id, amount_cents=1, expected_version=1)
    assert system.commands.DepositFunds(deposit, timeout=TIMEOUT).version == 2
