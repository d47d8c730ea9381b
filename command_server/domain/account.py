"""The BankAccount aggregate: every rule about an account's balance and life lives here."""

from command_server.domain.events import (
    AccountClosed,
    AccountOpened,
    AccountType,
    FundsDeposited,
    FundsWithdrawn,
)
from core.aggregate import AggregateRoot
from core.errors import InvalidInput, RuleViolation
from core.events import DomainEvent
from core.text import checked_text

MAX_HOLDER_LENGTH = 200
MAX_CENTS = 2**63 - 1  # int64, the wire type of every amount


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
        holder = holder_of(holder)
        if account_type is None:
            raise InvalidInput("account_type must be SAVINGS or CURRENT")
        if opening_balance_cents < 0:
            raise InvalidInput("opening_balance_cents must not be negative")
        _check_in_range("opening_balance_cents", opening_balance_cents)
        account = cls(account_id)
        account._raise(AccountOpened(holder, account_type, opening_balance_cents))
        return account

    def deposit(self, amount_cents: int) -> None:
        _check_positive(amount_cents)
        if not self.is_open:
            raise RuleViolation("Funds cannot be deposited into a closed bank account!")
        if self.balance_cents + amount_cents > MAX_CENTS:
            raise InvalidInput("amount_cents would overflow the balance (int64 cents)")
        self._raise(FundsDeposited(amount_cents))

    def withdraw(self, amount_cents: int) -> None:
        _check_positive(amount_cents)
        if not self.is_open:
            raise RuleViolation("Funds cannot be withdrawn from a closed account!")
        if amount_cents > self.balance_cents:
            raise RuleViolation("Withdraw declined, insufficient funds!")
        self._raise(FundsWithdrawn(amount_cents))

    def close(self) -> None:
        if not self.is_open:
            raise RuleViolation("Bank account has already been closed!")
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


def holder_of(raw: str) -> str:
    """The holder as stored and compared: in NFC, printable, not blank, at most
    MAX_HOLDER_LENGTH code points (core.text); InvalidInput naming what is wrong."""
    return checked_text("holder", raw, MAX_HOLDER_LENGTH)


def _check_positive(amount_cents: int) -> None:
    if amount_cents <= 0:
        raise InvalidInput("amount_cents must be greater than zero")
    _check_in_range("amount_cents", amount_cents)


def _check_in_range(field: str, cents: int) -> None:
    if cents > MAX_CENTS:
        raise InvalidInput(f"{field} must fit in int64 cents")
