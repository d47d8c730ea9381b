"""The query side's edge: what it can be asked (the queries), protobuf requests turned
into them, and the answers.

Answers are assembled from the read model's accounts and movements, without parsing or
building messages.

The projector keeps each account framed as field 1 of a message (bank.wire):
one element of the `accounts` field that every paged answer has, and alike on the wire,
the whole of a FindAccountByIdResponse. A page is then the concatenation of its
accounts, and of its next_page_token, field 2.
"""

from collections.abc import AsyncIterator
from dataclasses import dataclass

from bank.account import account_id_of
from bank.account_reader import Comparison, StoredAccount
from core.deadline import DEFAULT_SECONDS
from core.dispatcher import Query
from core.errors import Checks, InvalidInput
from core.paging import Page
from techbank.account.v1 import account_pb2, queries_pb2

Pages = AsyncIterator[Page]  # each page's items: its accounts, framed


@dataclass(frozen=True)
class FindAllAccounts(Query[Pages]):
    """Every account from the page token on (from the first with ""), in pages."""

    page_size: int = 0
    page_token: str = ""


@dataclass(frozen=True)
class FindAccountById(Query[StoredAccount]):
    """With `min_version`, wait up to `max_wait_seconds` for the read model to catch up."""

    account_id: str
    min_version: int | None = None
    max_wait_seconds: float = DEFAULT_SECONDS


@dataclass(frozen=True)
class GetAccountStatement(Query[Pages]):
    """The account's movements from the page token on, in pages; with `min_version`,
    once the read model has that version of the account (waiting as FindAccountById)."""

    account_id: str
    page_size: int = 0
    page_token: str = ""
    min_version: int | None = None
    max_wait_seconds: float = DEFAULT_SECONDS


@dataclass(frozen=True)
class FindAccountsByHolder(Query[Page]):
    holder: str
    page_size: int = 0
    page_token: str = ""


@dataclass(frozen=True)
class FindAccountsWithBalance(Query[Page]):
    comparison: Comparison | None  # None: the caller did not say which way to compare
    balance_cents: int
    page_size: int = 0
    page_token: str = ""


def checked_min_version(min_version: int | None) -> int | None:
    """`min_version` as asked (None: not given); InvalidInput below 1."""
    if min_version is not None and min_version < 1:
        message = f"min_version must be 1 or more when given, got {min_version}"
        raise InvalidInput(message, field="min_version")
    return min_version


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


TOKEN_ONLY = queries_pb2.FindAllAccountsResponse  # any paged answer: they share their layout


def account(framed: bytes) -> bytes:
    """A FindAccountByIdResponse, from the read model's framed account."""
    return framed


def page(found: Page) -> bytes:
    """A paged answer (FindAllAccountsResponse and the others, alike on the wire)."""
    accounts = b"".join(found.items)
    if not found.next_page_token:
        return accounts
    return accounts + TOKEN_ONLY(next_page_token=found.next_page_token).SerializeToString()


def movement_of(framed: bytes) -> queries_pb2.Movement:
    """The movement in a framed movement, parsed."""
    return queries_pb2.GetAccountStatementResponse.FromString(framed).movements[0]


def account_of(framed: bytes) -> account_pb2.Account:
    """The account in a framed account, parsed."""
    return queries_pb2.FindAccountByIdResponse.FromString(framed).account
