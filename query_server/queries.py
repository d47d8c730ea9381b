"""What the query side can be asked."""

from collections.abc import AsyncIterator
from dataclasses import dataclass

from bank.account_reader import Comparison, StoredAccount
from core.deadline import DEFAULT_SECONDS
from core.dispatcher import Query
from core.errors import InvalidInput
from core.paging import Page

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
