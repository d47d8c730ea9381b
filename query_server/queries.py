"""What the query side can be asked, and the account as the read model knows it."""

from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from core.deadline import DEFAULT_SECONDS


class Comparison(Enum):
    GREATER_THAN = "GREATER_THAN"
    LESS_THAN = "LESS_THAN"


@dataclass(frozen=True)
class AccountView:
    """One row of the read model; `version` counts the events applied, opening is 1."""

    account_id: str
    holder: str
    account_type: str
    balance_cents: int
    status: str
    opened_at: datetime  # always UTC-aware
    version: int


@dataclass(frozen=True)
class FindAllAccounts:
    page_size: int


@dataclass(frozen=True)
class FindAccountById:
    """With `min_version`, wait up to `max_wait_seconds` for the read model to catch up."""

    account_id: str
    min_version: int | None = None
    max_wait_seconds: float = DEFAULT_SECONDS


@dataclass(frozen=True)
class FindAccountsByHolder:
    holder: str


@dataclass(frozen=True)
class FindAccountsWithBalance:
    comparison: Comparison | None  # None: the caller did not say which way to compare
    balance_cents: int
