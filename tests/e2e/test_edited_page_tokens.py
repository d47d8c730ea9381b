"""A page token a client edited (issue 22, item 4): a position no sort key holds is
INVALID_PAGE_TOKEN on both stacks, never INTERNAL (SQLite's driver overflowed past
int64) nor silently answered (MySQL compared the huge number); one it could hold
answers the page after it, as a token the server gave would."""

import base64
import json
import uuid
from functools import partial
from typing import Any

import grpc
import pytest

from harness.system import System
from techbank.account.v1 import commands_pb2 as c
from techbank.account.v1 import queries_pb2 as q
from tests.e2e.helpers import TIMEOUT, open_account, read, refusal_of
from tests.e2e.server_logs import LogWatch

INT64_MAX = 2**63 - 1


def edited(token: str, *position: object) -> str:
    """`token` with its position replaced and its query's fingerprint kept, as a client
    edits a real token (base64url of a JSON list, the fingerprint first)."""
    fingerprint = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))[0]
    data = json.dumps([fingerprint, *position]).encode()
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def expect_refused(call: Any) -> None:
    refused = refusal_of(call)
    assert (refused.code, refused.reason, refused.fields) == (
        grpc.StatusCode.INVALID_ARGUMENT,
        "INVALID_PAGE_TOKEN",
        ["page_token"],
    )


@pytest.fixture
def log_watch(system: System) -> LogWatch:
    return LogWatch(system.processes)


def statement(system: System, account_id: str, token: str) -> list[int]:
    request = q.GetAccountStatementRequest(account_id=account_id, page_size=1, page_token=token)
    pages = system.queries.GetAccountStatement(request, timeout=TIMEOUT)
    return [m.version for page in pages for m in page.movements]


def test_a_statement_token_beyond_every_version_is_refused(
    system: System, log_watch: LogWatch
) -> None:
    account_id = open_account(system.commands, cents=10).account_id
    for _ in range(2):
        deposit = c.DepositFundsRequest(account_id=account_id, amount_cents=1)
        system.commands.DepositFunds(deposit, timeout=TIMEOUT)
    request = q.GetAccountStatementRequest(account_id=account_id, page_size=1, min_version=3)
    token = next(iter(system.queries.GetAccountStatement(request, timeout=TIMEOUT))).next_page_token
    for version in (2**63, 2**64 + 5, 0, -1, -(2**63), 1.5, "1"):
        forged = edited(token, version)
        expect_refused(partial(statement, system, account_id, forged))
    assert statement(system, account_id, edited(token, 1)) == [2, 3]
    assert statement(system, account_id, edited(token, INT64_MAX)) == []
    assert log_watch.new_trouble() == []


LAST_ID = "ffffffff-ffff-ffff-ffff-ffffffffffff"  # no UUID sorts after it


def test_a_balance_token_beyond_int64_is_refused(system: System, log_watch: LogWatch) -> None:
    floor = 8 * 10**17 + uuid.uuid4().int % 10**15  # above any other test's balances
    for cents in (floor + 1, floor + 2):
        read(system.queries, open_account(system.commands, cents=cents).account_id, 1)
    request = q.FindAccountsWithBalanceRequest(
        equality_type=q.EQUALITY_TYPE_GREATER_THAN, balance_cents=floor, page_size=1
    )
    first = system.queries.FindAccountsWithBalance(request, timeout=TIMEOUT)
    last_id = first.accounts[0].account_id
    for balance, account_id in ((2**63, last_id), (10**30, last_id), (-(2**63) - 1, last_id)):
        request.page_token = edited(first.next_page_token, balance, account_id)
        expect_refused(lambda: system.queries.FindAccountsWithBalance(request, timeout=TIMEOUT))
    request.page_token = edited(first.next_page_token, floor + 1, "\ud800")  # a lone surrogate
    expect_refused(lambda: system.queries.FindAccountsWithBalance(request, timeout=TIMEOUT))
    # After the last position any account can hold (other tests keep accounts at the
    # int64 limit in the same system): the bound itself is a position, with nothing after.
    request.page_token = edited(first.next_page_token, INT64_MAX, LAST_ID)
    assert list(system.queries.FindAccountsWithBalance(request, timeout=TIMEOUT).accounts) == []
    assert log_watch.new_trouble() == []


def test_an_account_id_no_database_can_take_is_refused(system: System, log_watch: LogWatch) -> None:
    for _ in range(2):
        read(system.queries, open_account(system.commands).account_id, 1)
    stream = system.queries.FindAllAccounts(q.FindAllAccountsRequest(page_size=1), timeout=TIMEOUT)
    first = next(stream)
    stream.cancel()
    forged = q.FindAllAccountsRequest(page_token=edited(first.next_page_token, "a\udfff"))
    expect_refused(lambda: list(system.queries.FindAllAccounts(forged, timeout=TIMEOUT)))
    assert log_watch.new_trouble() == []
