"""What the client answers: plain values, free of protobuf (translation.py converts).

Money is always an int of cents, as on the wire; every datetime is aware, in UTC.
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


class TransferStatus(StrEnum):
    """Where a transfer stands: PENDING only when the call's deadline came first (the
    transfer goes on; get_transfer tells how it ended)."""

    PENDING = "pending"
    COMPLETED = "completed"  # the target was credited
    REFUSED = "refused"  # nothing moved, or the source was refunded
    UNKNOWN = "unknown"  # a status this client does not know yet (a newer server's)


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


@dataclass(frozen=True)
class Transfer:
    """A transfer between two accounts and where it stands. A refusal is an answer, not
    an error: `refusal_reason` says why (an ErrorInfo reason such as INSUFFICIENT_FUNDS),
    and `refunded` whether the source had been debited and got its money back."""

    transfer_id: str
    source_account_id: str
    target_account_id: str
    amount_cents: int
    reference: str  # the client's free text; may be empty
    status: TransferStatus
    refusal_reason: str  # empty unless refused
    refusal_message: str  # for people; empty unless refused
    refunded: bool
    version: int  # events in the transfer's own stream


@dataclass(frozen=True)
class BalanceAsOf:
    """An account as it was at a moment, replayed from the event store: after every event
    at or before `as_of` (the moment asked, in UTC)."""

    account_id: str
    as_of: datetime
    balance_cents: int
    status: AccountStatus
    version: int  # of its last event at or before the moment
