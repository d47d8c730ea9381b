"""What the client answers: plain values, free of protobuf (translation.py converts).

Money is always an int of cents, as on the wire; `opened_at` is an aware UTC datetime.
"""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class AccountType(StrEnum):
    SAVINGS = "savings"
    CURRENT = "current"
    UNKNOWN = "unknown"  # a kind this client does not know yet (a newer server's)


class AccountStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    UNKNOWN = "unknown"


class Comparison(StrEnum):
    """How find_with_balance compares each balance with the amount given."""

    GREATER_THAN = "greater_than"
    LESS_THAN = "less_than"


class MovementKind(StrEnum):
    """What a movement of a statement did to its account."""

    OPENED = "opened"  # the amount is the opening balance
    DEPOSIT = "deposit"
    WITHDRAWAL = "withdrawal"
    TRANSFER_IN = "transfer_in"  # a transfer's credit, or its refund
    TRANSFER_OUT = "transfer_out"
    CLOSED = "closed"  # the amount is zero
    UNKNOWN = "unknown"  # a kind this client does not know yet (a newer server's)


@dataclass(frozen=True)
class Account:
    """An account as the read model knows it."""

    account_id: str
    holder: str
    account_type: AccountType
    balance_cents: int
    status: AccountStatus
    opened_at: datetime
    version: int


@dataclass(frozen=True)
class Movement:
    """One line of an account's statement: an event of the account, the change it made
    to the balance (positive in, negative out) and the balance after it."""

    version: int
    kind: MovementKind
    amount_cents: int
    balance_cents: int
    occurred_at: datetime
    reference: str  # the client's free text; may be empty
    transfer_id: str  # the transfer this movement is a step of; empty otherwise


@dataclass(frozen=True)
class CommandResult:
    """What a command did: its account and the account's version after it (pass that as
    `min_version` to get_account to read your own write)."""

    account_id: str
    version: int
