"""What can happen to a bank account, in the past tense."""

from dataclasses import dataclass
from enum import Enum

from core.events import DomainEvent


class AccountType(Enum):
    SAVINGS = "SAVINGS"
    CURRENT = "CURRENT"


@dataclass(frozen=True)
class AccountOpened(DomainEvent):
    holder: str
    account_type: AccountType
    opening_balance_cents: int


@dataclass(frozen=True)
class FundsDeposited(DomainEvent):
    amount_cents: int


@dataclass(frozen=True)
class FundsWithdrawn(DomainEvent):
    amount_cents: int


@dataclass(frozen=True)
class AccountClosed(DomainEvent):
    pass
