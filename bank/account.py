"""The BankAccount aggregate: every rule about an account's balance and life lives here,
with the words both services use about an account (its id, its holder, its absence)."""

import uuid

from bank.events import (
    AccountClosed,
    AccountOpened,
    AccountType,
    FundsDeposited,
    FundsWithdrawn,
)
from core.aggregate import AggregateRoot
from core.errors import InvalidInput, NotFound, RuleViolation, checked_text
from core.events import DomainEvent

MAX_HOLDER_LENGTH = 200
MAX_REFERENCE_LENGTH = 140  # what a SEPA remittance line holds
MAX_CENTS = 2**63 - 1  # int64, the wire type of every amount

# The reasons the account's rules refuse a command for (ErrorInfo.reason on the wire).
ACCOUNT_CLOSED = "ACCOUNT_CLOSED"
INSUFFICIENT_FUNDS = "INSUFFICIENT_FUNDS"
BALANCE_OVERFLOW = "BALANCE_OVERFLOW"
# An account no event was stored for: the Java project's words, and their reason.
UNKNOWN_ACCOUNT = "Incorrect account ID provided!"
ACCOUNT_NOT_FOUND = "ACCOUNT_NOT_FOUND"


class BankAccount(AggregateRoot):
    AGGREGATE_TYPE = "BankAccount"

    def __init__(self, account_id: str) -> None:
        super().__init__(account_id)
        self.holder = ""
        self.balance_cents = 0
        self.is_open = False

    @classmethod
    def open(
        cls,
        account_id: str,
        holder: str,
        account_type: AccountType | None,
        opening_balance_cents: int,
    ) -> "BankAccount":
        account = cls(account_id)
        opened = AccountOpened(
            holder_of(holder),
            account_type_of(account_type),
            opening_balance_of(opening_balance_cents),
        )
        account._raise(opened)
        return account

    def deposit(self, amount_cents: int, reference: str = "", transfer_id: str = "") -> None:
        """Money in: from a client, or a transfer's credit (`transfer_id`)."""
        amount_of(amount_cents)
        if not self.is_open:
            message = "Funds cannot be deposited into a closed bank account!"
            raise RuleViolation(message, reason=ACCOUNT_CLOSED)
        self._take_in(FundsDeposited(amount_cents, reference_of(reference), transfer_id))

    def refund_transfer(self, amount_cents: int, transfer_id: str, reference: str = "") -> None:
        """Money a transfer debited from this account comes back, its credit refused.
        Taken even when the account was closed since: the money is the holder's, and a
        transfer must end with it somewhere."""
        amount_of(amount_cents)
        self._take_in(FundsDeposited(amount_cents, reference_of(reference), transfer_id))

    def _take_in(self, deposited: FundsDeposited) -> None:
        # The balance's state refuses it, as INSUFFICIENT_FUNDS a withdrawal: not the
        # amount itself, which another account may take.
        if self.balance_cents + deposited.amount_cents > MAX_CENTS:
            message = "amount_cents would overflow the balance (int64 cents)"
            raise RuleViolation(message, reason=BALANCE_OVERFLOW)
        self._raise(deposited)

    def withdraw(self, amount_cents: int, reference: str = "", transfer_id: str = "") -> None:
        """Money out: to a client, or a transfer's debit (`transfer_id`)."""
        amount_of(amount_cents)
        if not self.is_open:
            message = "Funds cannot be withdrawn from a closed account!"
            raise RuleViolation(message, reason=ACCOUNT_CLOSED)
        if amount_cents > self.balance_cents:
            message = "Withdraw declined, insufficient funds!"
            raise RuleViolation(message, reason=INSUFFICIENT_FUNDS)
        self._raise(FundsWithdrawn(amount_cents, reference_of(reference), transfer_id))

    def close(self) -> None:
        if not self.is_open:
            raise RuleViolation("Bank account has already been closed!", reason=ACCOUNT_CLOSED)
        self._raise(AccountClosed())

    def _apply(self, event: DomainEvent) -> None:
        match event:
            case AccountOpened(holder=holder, opening_balance_cents=opening):
                self.holder, self.balance_cents, self.is_open = holder, opening, True
            case FundsDeposited(amount_cents=amount):
                self.balance_cents += amount
            case FundsWithdrawn(amount_cents=amount):
                self.balance_cents -= amount
            case AccountClosed():
                self.is_open = False
            case _:
                raise TypeError(f"BankAccount cannot apply {type(event).__name__}")


def unknown_account(metadata: dict[str, str] | None = None) -> NotFound:
    return NotFound(UNKNOWN_ACCOUNT, reason=ACCOUNT_NOT_FOUND, metadata=metadata)


def account_id_of(raw: str, field: str = "account_id") -> str:
    """The canonical form of an account id, as stored; InvalidInput naming `field` unless
    it is a UUID."""
    return uuid_of(raw, field)


def uuid_of(raw: str, field: str) -> str:
    """The canonical form of an id the server chose (a UUID); InvalidInput naming `field`
    unless it is one."""
    try:
        return str(uuid.UUID(raw))
    except ValueError:
        message = f"{field} must be a UUID, got {raw[:64]!r}"
        raise InvalidInput(message, field=field) from None


def holder_of(raw: str) -> str:
    """The holder as stored and compared: in NFC, printable, not blank, at most
    MAX_HOLDER_LENGTH code points (core.errors); InvalidInput naming what is wrong."""
    return checked_text("holder", raw, MAX_HOLDER_LENGTH)


def account_type_of(account_type: AccountType | None) -> AccountType:
    if account_type is None:
        raise InvalidInput("account_type must be SAVINGS or CURRENT", field="account_type")
    return account_type


def opening_balance_of(cents: int) -> int:
    field = "opening_balance_cents"
    if cents < 0:
        raise InvalidInput(f"{field} must not be negative", field=field)
    return _in_range(field, cents)


def reference_of(raw: str) -> str:
    """A movement's free text as stored: empty, or checked like a holder (core.errors)
    within MAX_REFERENCE_LENGTH code points."""
    if raw == "":
        return raw
    return checked_text("reference", raw, MAX_REFERENCE_LENGTH)


def amount_of(cents: int) -> int:
    """A deposit's or withdrawal's amount: more than zero, within int64."""
    if cents <= 0:
        raise InvalidInput("amount_cents must be greater than zero", field="amount_cents")
    return _in_range("amount_cents", cents)


def _in_range(field: str, cents: int) -> int:
    if cents > MAX_CENTS:
        raise InvalidInput(f"{field} must fit in int64 cents", field=field)
    return cents
