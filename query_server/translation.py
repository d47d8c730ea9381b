"""The query side's edge: protobuf requests to queries, and accounts to protobuf, in one place."""

import uuid
from collections.abc import Iterable

from google.protobuf.timestamp_pb2 import Timestamp

from core.errors import InvalidInput
from query_server.queries import (
    AccountView,
    Comparison,
    FindAccountById,
    FindAccountsByHolder,
    FindAccountsWithBalance,
    FindAllAccounts,
)
from techbank.account.v1 import account_pb2, queries_pb2

COMPARISONS = {
    queries_pb2.EQUALITY_TYPE_GREATER_THAN: Comparison.GREATER_THAN,
    queries_pb2.EQUALITY_TYPE_LESS_THAN: Comparison.LESS_THAN,
}
ACCOUNT_TYPES = {
    "SAVINGS": account_pb2.ACCOUNT_TYPE_SAVINGS,
    "CURRENT": account_pb2.ACCOUNT_TYPE_CURRENT,
}
STATUSES = {
    "OPEN": account_pb2.ACCOUNT_STATUS_OPEN,
    "CLOSED": account_pb2.ACCOUNT_STATUS_CLOSED,
}


def account_id_of(raw: str) -> str:
    """The canonical form the read model stores; INVALID_ARGUMENT unless `raw` is a UUID."""
    try:
        return str(uuid.UUID(raw))
    except ValueError:
        raise InvalidInput(f"account_id must be a UUID, got {raw[:64]!r}") from None


def find_all_accounts(request: queries_pb2.FindAllAccountsQuery) -> FindAllAccounts:
    return FindAllAccounts(page_size=request.page_size)


def find_account_by_id(
    request: queries_pb2.FindAccountByIdQuery, max_wait_seconds: float
) -> FindAccountById:
    min_version = None
    if request.HasField("min_version"):
        min_version = request.min_version
        if min_version < 1:
            raise InvalidInput(f"min_version must be 1 or more when given, got {min_version}")
    return FindAccountById(
        account_id=account_id_of(request.account_id),
        min_version=min_version,
        max_wait_seconds=max_wait_seconds,
    )


def find_accounts_by_holder(request: queries_pb2.FindAccountsByHolderQuery) -> FindAccountsByHolder:
    return FindAccountsByHolder(holder=request.holder)


def find_accounts_with_balance(
    request: queries_pb2.FindAccountsWithBalanceQuery,
) -> FindAccountsWithBalance:
    return FindAccountsWithBalance(
        comparison=COMPARISONS.get(request.equality_type),
        balance_cents=request.balance_cents,
    )


def account(view: AccountView) -> account_pb2.Account:
    opened_at = Timestamp()
    opened_at.FromDatetime(view.opened_at)
    # A value this code does not know (a newer projector's) goes out as UNSPECIFIED,
    # the wire's "unknown", rather than failing every query that touches the row.
    return account_pb2.Account(
        account_id=view.account_id,
        holder=view.holder,
        account_type=ACCOUNT_TYPES.get(view.account_type, account_pb2.ACCOUNT_TYPE_UNSPECIFIED),
        balance_cents=view.balance_cents,
        status=STATUSES.get(view.status, account_pb2.ACCOUNT_STATUS_UNSPECIFIED),
        opened_at=opened_at,
        version=view.version,
    )


def account_list(views: Iterable[AccountView]) -> queries_pb2.AccountList:
    return queries_pb2.AccountList(accounts=[account(view) for view in views])


def account_page(views: Iterable[AccountView]) -> queries_pb2.AccountPage:
    return queries_pb2.AccountPage(accounts=[account(view) for view in views])
