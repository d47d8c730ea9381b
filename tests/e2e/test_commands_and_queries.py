"""Every RPC through real gRPC calls against the running command and query servers."""

import uuid

import grpc
from google.protobuf.timestamp_pb2 import Timestamp

from harness.system import System
from techbank.account.v1 import account_pb2, commands_pb2, queries_pb2
from tests.e2e.helpers import CURRENT, TIMEOUT, expect_status, open_account, read

Status = grpc.StatusCode


def test_open_account_is_readable_with_all_its_fields(system: System) -> None:
    before = Timestamp()
    before.GetCurrentTime()
    opened = open_account(system.commands, "Grace Hopper", 1234, CURRENT)
    assert (opened.version, str(uuid.UUID(opened.account_id))) == (1, opened.account_id)
    account = read(system.queries, opened.account_id, 1)
    assert account.holder == "Grace Hopper"
    assert account.account_type == CURRENT
    assert account.balance_cents == 1234
    assert account.status == account_pb2.ACCOUNT_STATUS_OPEN
    assert account.version == 1
    assert account.opened_at.seconds >= before.seconds - 1


def test_deposit_and_withdraw_move_the_balance_and_the_version(system: System) -> None:
    account_id = open_account(system.commands, cents=100).account_id
    deposited = system.commands.DepositFunds(
        commands_pb2.DepositFundsRequest(account_id=account_id, amount_cents=250), timeout=TIMEOUT
    )
    assert (deposited.account_id, deposited.version) == (account_id, 2)
    withdrawn = system.commands.WithdrawFunds(
        commands_pb2.WithdrawFundsRequest(account_id=account_id, amount_cents=350),
        timeout=TIMEOUT,
    )
    assert withdrawn.version == 3
    assert read(system.queries, account_id, 3).balance_cents == 0


def test_over_withdrawal_is_declined_and_changes_nothing(system: System) -> None:
    account_id = open_account(system.commands, cents=100).account_id
    expect_status(
        lambda: system.commands.WithdrawFunds(
            commands_pb2.WithdrawFundsRequest(account_id=account_id, amount_cents=101),
            timeout=TIMEOUT,
        ),
        Status.FAILED_PRECONDITION,
        "Withdraw declined, insufficient funds!",
    )
    account = read(system.queries, account_id, 1)
    assert (account.balance_cents, account.version) == (100, 1)


def test_closed_account_refuses_everything(system: System) -> None:
    account_id = open_account(system.commands, cents=5).account_id
    closed = system.commands.CloseAccount(
        commands_pb2.CloseAccountRequest(account_id=account_id), timeout=TIMEOUT
    )
    assert closed.version == 2
    assert read(system.queries, account_id, 2).status == account_pb2.ACCOUNT_STATUS_CLOSED
    deposit = commands_pb2.DepositFundsRequest(account_id=account_id, amount_cents=1)
    withdraw = commands_pb2.WithdrawFundsRequest(account_id=account_id, amount_cents=1)
    close = commands_pb2.CloseAccountRequest(account_id=account_id)
    expect_status(
        lambda: system.commands.DepositFunds(deposit, timeout=TIMEOUT),
        Status.FAILED_PRECONDITION,
        "Funds cannot be deposited into a closed bank account!",
    )
    expect_status(
        lambda: system.commands.WithdrawFunds(withdraw, timeout=TIMEOUT),
        Status.FAILED_PRECONDITION,
        "Funds cannot be withdrawn from a closed account!",
    )
    expect_status(
        lambda: system.commands.CloseAccount(close, timeout=TIMEOUT),
        Status.FAILED_PRECONDITION,
        "Bank account has already been closed!",
    )


def test_stale_expected_version_is_aborted(system: System) -> None:
    account_id = open_account(system.commands, cents=10).account_id
    stale = commands_pb2.DepositFundsRequest(
        account_id=account_id, amount_cents=1, expected_version=2
    )
    expect_status(
        lambda: system.commands.DepositFunds(stale, timeout=TIMEOUT),
        Status.ABORTED,
        "expected_version is 2",
    )
    current = commands_pb2.DepositFundsRequest(
        account_id=account_id, amount_cents=1, expected_version=1
    )
    assert system.commands.DepositFunds(current, timeout=TIMEOUT).version == 2


def test_holder_with_odd_characters_is_found_exactly(system: System) -> None:
    holder = f'  O\'Brien "Bob"; DROP TABLE accounts;-- %_ \\ 😀 {uuid.uuid4()}  '
    account_id = open_account(system.commands, holder, 42).account_id
    read(system.queries, account_id, 1)
    query = queries_pb2.FindAccountsByHolderRequest
    found = system.queries.FindAccountsByHolder(query(holder=holder), timeout=TIMEOUT)
    assert [(a.account_id, a.holder) for a in found.accounts] == [(account_id, holder)]
    for near_miss in (holder.strip(), holder.upper(), holder[:-1]):
        miss = system.queries.FindAccountsByHolder(query(holder=near_miss), timeout=TIMEOUT)
        assert account_id not in [a.account_id for a in miss.accounts]


def test_find_with_balance_greater_or_less_than(system: System) -> None:
    rich = open_account(system.commands, cents=9_000_000_000_000).account_id
    poor = open_account(system.commands, cents=0).account_id
    read(system.queries, rich, 1)
    read(system.queries, poor, 1)
    query = queries_pb2.FindAccountsWithBalanceRequest
    greater = system.queries.FindAccountsWithBalance(
        query(
            equality_type=queries_pb2.EQUALITY_TYPE_GREATER_THAN, balance_cents=8_999_999_999_999
        ),
        timeout=TIMEOUT,
    )
    less = system.queries.FindAccountsWithBalance(
        query(equality_type=queries_pb2.EQUALITY_TYPE_LESS_THAN, balance_cents=1),
        timeout=TIMEOUT,
    )
    assert rich in [a.account_id for a in greater.accounts]
    assert all(a.balance_cents > 8_999_999_999_999 for a in greater.accounts)
    assert poor in [a.account_id for a in less.accounts]
    assert all(a.balance_cents < 1 for a in less.accounts)


def test_find_all_streams_pages_of_at_most_page_size(system: System) -> None:
    opened = [open_account(system.commands, cents=i).account_id for i in range(7)]
    for account_id in opened:  # on Kafka, accounts in other partitions may come later
        read(system.queries, account_id, 1)
    request = queries_pb2.FindAllAccountsRequest(page_size=3)
    pages = list(system.queries.FindAllAccounts(request, timeout=TIMEOUT))
    ids = [a.account_id for page in pages for a in page.accounts]
    assert len(pages) >= 3
    assert all(1 <= len(page.accounts) <= 3 for page in pages)
    assert len(ids) == len(set(ids))
    assert set(opened) <= set(ids)


def test_min_version_never_answers_with_an_older_version(system: System) -> None:
    account_id = open_account(system.commands).account_id
    query = queries_pb2.FindAccountByIdRequest(account_id=account_id, min_version=5)
    expect_status(
        lambda: system.queries.FindAccountById(query, timeout=0.5),
        Status.DEADLINE_EXCEEDED,
        "",
    )


def test_a_retried_request_has_one_effect_and_its_first_answer(system: System) -> None:
    account_id = open_account(system.commands, cents=0).account_id
    request = commands_pb2.DepositFundsRequest(
        account_id=account_id, amount_cents=10, request_id=f"retry-{uuid.uuid4()}"
    )
    first = system.commands.DepositFunds(request, timeout=TIMEOUT)
    again = system.commands.DepositFunds(request, timeout=TIMEOUT)
    assert (again.account_id, again.version) == (first.account_id, first.version) == (account_id, 2)
    other = commands_pb2.DepositFundsRequest(
        account_id=account_id, amount_cents=11, request_id=request.request_id
    )
    expect_status(
        lambda: system.commands.DepositFunds(other, timeout=TIMEOUT),
        Status.INVALID_ARGUMENT,
        "was already used for a different command",
    )
    assert read(system.queries, account_id, 2).balance_cents == 10


def test_a_retried_open_opens_one_account(system: System) -> None:
    open_request = commands_pb2.OpenAccountRequest(
        holder=f"Once {uuid.uuid4()}", account_type=CURRENT, request_id=str(uuid.uuid4())
    )
    first = system.commands.OpenAccount(open_request, timeout=TIMEOUT)
    assert system.commands.OpenAccount(open_request, timeout=TIMEOUT) == first
    read(system.queries, first.account_id, 1)
    holder = queries_pb2.FindAccountsByHolderRequest(holder=open_request.holder)
    found = system.queries.FindAccountsByHolder(holder, timeout=TIMEOUT)
    assert [a.account_id for a in found.accounts] == [first.account_id]
