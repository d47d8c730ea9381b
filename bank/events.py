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
    reference: str = ""  # schema version 2 on
    transfer_id: str = ""  # the transfer it is the credit or the refund of (version 2 on)


@dataclass(frozen=True)
class FundsWithdrawn(DomainEvent):
    amount_cents: int
    reference: str = ""  # schema version 2 on
    transfer_id: str = ""  # the transfer it is the debit of (version 2 on)


@dataclass(frozen=True)
class AccountClosed(DomainEvent):
    pass


@dataclass(frozen=True)
class TransferRequested(DomainEvent):
    source_account_id: str
    target_account_id: str
    amount_cents: int
    reference: str


@dataclass(frozen=True)
class TransferDebited(DomainEvent):
    pass


@dataclass(frozen=True)
class TransferCompleted(DomainEvent):
    pass


@dataclass(frozen=True)
class TransferRefused(DomainEvent):
    reason: str
    message: str
    refunded: bool
