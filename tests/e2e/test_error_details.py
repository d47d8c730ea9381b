"""Errors for programs (AIP-193): every refusal carries an ErrorInfo with a stable
reason, the domain and what it is about; invalid input names every field refused.
Tests assert reasons and fields, never the English."""

import uuid
from typing import Any

import grpc
import pytest

from harness.system import System
from techbank.account.v1 import commands_pb2 as c
from techbank.account.v1 import queries_pb2 as q
from tests.e2e.helpers import SAVINGS, TIMEOUT, open_account, refusal_of

DOMAIN = "techbank.account.v1"
Status = grpc.StatusCode


# The details' form; the refusals on each stack: test_commands_and_queries.
@pytest.mark.stack_independent
def test_insufficient_funds_and_a_closed_account_are_told_apart(system: System) -> None:
    account_id = open_account(system.commands, cents=100).account_id
    withdraw = c.WithdrawFundsRequest(account_id=account_id, amount_cents=101)
    short = refusal_of(lambda: system.commands.WithdrawFunds(withdraw, timeout=TIMEOUT))
    assert (short.code, short.reason, short.domain) == (
        Status.FAILED_PRECONDITION,
        "INSUFFICIENT_FUNDS",
        DOMAIN,
    )
    assert short.metadata["accountId"] == account_id
    system.commands.WithdrawFunds(c.WithdrawFundsRequest(account_id=account_id, amount_cents=100))
    system.commands.CloseAccount(c.CloseAccountRequest(account_id=account_id), timeout=TIMEOUT)
    deposit = c.DepositFundsRequest(account_id=account_id, amount_cents=1)
    closed = refusal_of(lambda: system.commands.DepositFunds(deposit, timeout=TIMEOUT))
    assert (closed.code, closed.reason) == (Status.FAILED_PRECONDITION, "ACCOUNT_CLOSED")


def test_a_repeated_refused_request_gets_the_same_reason(system: System) -> None:
    account_id = open_account(system.commands).account_id
    withdraw = c.WithdrawFundsRequest(
        account_id=account_id, amount_cents=5, request_id=str(uuid.uuid4())
    )
    first, again = (
        refusal_of(lambda: system.commands.WithdrawFunds(withdraw, timeout=TIMEOUT))
        for _ in range(2)
    )
    assert first == again
    assert first.reason == "INSUFFICIENT_FUNDS"


@pytest.mark.stack_independent
def test_a_stale_expected_version_is_a_version_mismatch(system: System) -> None:
    account_id = open_account(system.commands).account_id
    deposit = c.DepositFundsRequest(account_id=account_id, amount_cents=1, expected_version=7)
    stale = refusal_of(lambda: system.commands.DepositFunds(deposit, timeout=TIMEOUT))
    assert (stale.code, stale.reason) == (Status.ABORTED, "VERSION_MISMATCH")
    assert stale.metadata == {"accountId": account_id, "expectedVersion": "7"}


def test_an_unknown_account_is_not_found_on_both_sides(system: System) -> None:
    unknown = str(uuid.uuid4())
    deposit = c.DepositFundsRequest(account_id=unknown, amount_cents=1)
    command = refusal_of(lambda: system.commands.DepositFunds(deposit, timeout=TIMEOUT))
    query = q.FindAccountByIdRequest(account_id=unknown)
    read = refusal_of(lambda: system.queries.FindAccountById(query, timeout=TIMEOUT))
    for refusal in (command, read):
        assert (refusal.code, refusal.reason) == (Status.NOT_FOUND, "ACCOUNT_NOT_FOUND")
        assert refusal.metadata["accountId"] == unknown


# The details' form; the reuse on each stack: test_commands_and_queries.
@pytest.mark.stack_independent
def test_a_request_id_reused_for_another_command(system: System) -> None:
    account_id = open_account(system.commands).account_id
    request_id = str(uuid.uuid4())
    first = c.DepositFundsRequest(account_id=account_id, amount_cents=1, request_id=request_id)
    system.commands.DepositFunds(first, timeout=TIMEOUT)
    other = c.DepositFundsRequest(account_id=account_id, amount_cents=2, request_id=request_id)
    reused = refusal_of(lambda: system.commands.DepositFunds(other, timeout=TIMEOUT))
    assert (reused.code, reused.reason, reused.fields) == (
        Status.INVALID_ARGUMENT,
        "REQUEST_ID_REUSED",
        ["request_id"],
    )
    assert reused.metadata["requestId"] == request_id


@pytest.mark.stack_independent
def test_every_invalid_field_of_a_command_is_named_at_once(system: System) -> None:
    deposit = c.DepositFundsRequest(
        account_id="nope", amount_cents=0, expected_version=0, request_id="r" * 200
    )
    bad = refusal_of(lambda: system.commands.DepositFunds(deposit, timeout=TIMEOUT))
    assert (bad.code, bad.reason) == (Status.INVALID_ARGUMENT, "INVALID_ARGUMENT")
    assert bad.fields == ["account_id", "amount_cents", "expected_version", "request_id"]
    opening = c.OpenAccountRequest(holder=" ", opening_balance_cents=-1)
    bad = refusal_of(lambda: system.commands.OpenAccount(opening, timeout=TIMEOUT))
    assert bad.fields == ["holder", "account_type", "opening_balance_cents"]


@pytest.mark.stack_independent
def test_every_invalid_field_of_a_query_is_named_at_once(system: System) -> None:
    query = q.FindAccountByIdRequest(account_id="nope", min_version=0)
    bad = refusal_of(lambda: system.queries.FindAccountById(query, timeout=TIMEOUT))
    assert (bad.code, bad.fields) == (Status.INVALID_ARGUMENT, ["account_id", "min_version"])


# The details' form; the wait on each stack: test_commands_and_queries.
@pytest.mark.stack_independent
def test_a_version_not_reached_in_time_says_which(system: System) -> None:
    account_id = open_account(system.commands, kind=SAVINGS).account_id
    query = q.FindAccountByIdRequest(account_id=account_id, min_version=9)
    late = refusal_of(lambda: system.queries.FindAccountById(query, timeout=1))
    assert (late.code, late.reason) == (Status.DEADLINE_EXCEEDED, "VERSION_NOT_REACHED")
    assert late.metadata == {"accountId": account_id, "minVersion": "9"}


@pytest.mark.stack_independent
def test_bytes_that_are_no_request_are_a_malformed_request(system: System) -> None:
    with grpc.insecure_channel(system.env["TECHBANK_COMMAND_ADDRESS"]) as channel:
        call: Any = channel.unary_unary("/techbank.account.v1.AccountCommandService/OpenAccount")
        bad = refusal_of(lambda: call(b"\x0a\x05ab", timeout=TIMEOUT))
    assert (bad.code, bad.reason, bad.domain) == (
        Status.INVALID_ARGUMENT,
        "MALFORMED_REQUEST",
        DOMAIN,
    )
