"""What the query side can be asked."""

from dataclasses import dataclass
from enum import Enum

from core.deadline import DEFAULT_SECONDS


class Comparison(Enum):
    GREATER_THAN = "GREATER_THAN"
    LESS_THAN = "LESS_THAN"


@dataclass(frozen=True)
class FindAllAccounts:
    """Every account from the page token on (from the first with ""), in pages."""

    page_size: int = 0
    page_token: str = ""


@dataclass(frozen=True)
class FindAccountById:
    """With `min_version`, wait up to `max_wait_seconds` for the read model to catch up."""

    account_id: str
    min_version: int | None = None
    max_wait_seconds: float = DEFAULT_SECONDS


@dataclass(frozen=True)
class FindAccountsByHolder:
    holder: str
    page_size: int = 0
    page_token: str = ""


@dataclass(frozen=True)
class FindAccountsWithBalance:
    comparison: Comparison | None  # None: the caller did not say which way to compare
    balance_cents: int
    page_size: int = 0
    page_token: str = ""
