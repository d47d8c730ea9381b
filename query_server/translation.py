"""The query side's edge: protobuf requests to queries (answers are in query_server.wire)."""

from bank.account_reader import Comparison
from bank.domain.account import account_id_of
from core.errors import Checks
from query_server.queries import (
    FindAccountById,
    FindAccountsByHolder,
    FindAccountsWithBalance,
    FindAllAccounts,
    GetAccountStatement,
    checked_min_version,
)
from techbank.account.v1 import queries_pb2

COMPARISONS = {
    queries_pb2.EQUALITY_TYPE_GREATER_THAN: Comparison.GREATER_THAN,
    queries_pb2.EQUALITY_TYPE_LESS_THAN: Comparison.LESS_THAN,
}


def find_all_accounts(request: queries_pb2.FindAllAccountsRequest) -> FindAllAccounts:
    return FindAllAccounts(page_size=request.page_size, page_token=request.page_token)


def find_account_by_id(
    request: queries_pb2.FindAccountByIdRequest, max_wait_seconds: float
) -> FindAccountById:
    check = Checks()
    query = FindAccountById(
        account_id=check(lambda: account_id_of(request.account_id), ""),
        min_version=check(lambda: min_version_of(request), None),
        max_wait_seconds=max_wait_seconds,
    )
    check.done()
    return query


def min_version_of(request: queries_pb2.FindAccountByIdRequest) -> int | None:
    return checked_min_version(request.min_version if request.HasField("min_version") else None)


def find_accounts_by_holder(
    request: queries_pb2.FindAccountsByHolderRequest,
) -> FindAccountsByHolder:
    return FindAccountsByHolder(
        holder=request.holder, page_size=request.page_size, page_token=request.page_token
    )


def find_accounts_with_balance(
    request: queries_pb2.FindAccountsWithBalanceRequest,
) -> FindAccountsWithBalance:
    return FindAccountsWithBalance(
        comparison=COMPARISONS.get(request.equality_type),
        balance_cents=request.balance_cents,
        page_size=request.page_size,
        page_token=request.page_token,
    )


def get_account_statement(
    request: queries_pb2.GetAccountStatementRequest, max_wait_seconds: float
) -> GetAccountStatement:
    """The request as it came: the handler checks every field, the page token's against
    the account id, and refuses them all in one answer."""
    given = request.HasField("min_version")
    return GetAccountStatement(
        account_id=request.account_id,
        page_size=request.page_size,
        page_token=request.page_token,
        min_version=request.min_version if given else None,
        max_wait_seconds=max_wait_seconds,
    )
