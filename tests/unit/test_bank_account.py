"""Every rule of the BankAccount aggregate, with the exact message a client sees."""

import pytest

from bank.account import MAX_CENTS, BankAccount
from bank.events import (
    AccountClosed,
    AccountOpened,
    AccountType,
    FundsDeposited,
    FundsWithdrawn,
)
from core.errors import InvalidInput, RuleViolation


def opened(balance: int = 100) -> BankAccount:
    account = BankAccount.open("id-1", "Ada", AccountType.SAVINGS, balance)
    account.mark_saved()
    return account


def test_opening_raises_account_opened_at_version_one() -> None:
    account = BankAccount.open("id-1", "Ada", AccountType.CURRENT, 250)
    assert account.pending_events == [AccountOpened("Ada", AccountType.CURRENT, 250)]
    assert (account.version, account.persisted_version) == (1, 0)
    assert account.balance_cents == 250


@pytest.mark.parametrize("holder", ["", " ", "\u3000 \u00a0"])
def test_empty_or_blank_holder_is_invalid(holder: str) -> None:
    with pytest.raises(InvalidInput, match="holder must not be empty"):
        BankAccount.open("id-1", holder, AccountType.SAVINGS, 0)


def test_holder_of_200_characters_is_accepted_and_201_is_not() -> None:
    assert BankAccount.open("id-1", "é" * 200, AccountType.SAVINGS, 0).holder == "é" * 200
    with pytest.raises(InvalidInput, match="holder must be at most 200 characters"):
        BankAccount.open("id-1", "x" * 201, AccountType.SAVINGS, 0)


def test_holder_in_nfc_is_kept_exactly() -> None:
    holder = "  O'Brien; DROP TABLE accounts;-- 😀 é "
    assert BankAccount.open("id-1", holder, AccountType.SAVINGS, 0).holder == holder


def test_holder_with_an_invisible_character_is_invalid() -> None:
    with pytest.raises(InvalidInput, match=r"found U\+200B \(Cf\) at position 7$"):
        BankAccount.open("id-1", "O'Brien\u200b", AccountType.SAVINGS, 0)


def test_unspecified_account_type_is_invalid() -> None:
    with pytest.raises(InvalidInput, match="account_type"):
        BankAccount.open("id-1", "Ada", None, 0)


def test_negative_opening_balance_is_invalid() -> None:
    with pytest.raises(InvalidInput, match="opening_balance_cents"):
        BankAccount.open("id-1", "Ada", AccountType.SAVINGS, -1)


def test_deposit_adds_to_the_balance() -> None:
    account = opened(100)
    account.deposit(50)
    assert account.balance_cents == 150
    assert account.pending_events == [FundsDeposited(50)]
    assert account.version == 2


@pytest.mark.parametrize("amount", [0, -1, -(2**63)])
def test_non_positive_deposit_is_invalid(amount: int) -> None:
    with pytest.raises(InvalidInput, match="amount_cents must be greater than zero"):
        opened().deposit(amount)


def test_deposit_that_would_overflow_int64_is_refused_by_the_balance() -> None:
    account = opened(MAX_CENTS - 10)
    account.deposit(10)
    with pytest.raises(RuleViolation, match="amount_cents would overflow"):
        account.deposit(1)
    assert account.balance_cents == MAX_CENTS


def test_withdrawing_exactly_the_balance_is_allowed() -> None:
    account = opened(100)
    account.withdraw(100)
    assert account.balance_cents == 0
    assert account.pending_events == [FundsWithdrawn(100)]


def test_withdrawing_more_than_the_balance_is_declined() -> None:
    account = opened(100)
    with pytest.raises(RuleViolation, match=r"^Withdraw declined, insufficient funds!$"):
        account.withdraw(101)
    assert (account.balance_cents, account.pending_events) == (100, [])


@pytest.mark.parametrize("amount", [0, -5])
def test_non_positive_withdrawal_is_invalid(amount: int) -> None:
    with pytest.raises(InvalidInput, match="amount_cents must be greater than zero"):
        opened().withdraw(amount)


def test_closed_account_refuses_deposits_withdrawals_and_a_second_close() -> None:
    account = opened(100)
    account.close()
    assert account.pending_events == [AccountClosed()]
    with pytest.raises(
        RuleViolation, match=r"^Funds cannot be deposited into a closed bank account!$"
    ):
        account.deposit(1)
    with pytest.raises(RuleViolation, match=r"^Funds cannot be withdrawn from a closed account!$"):
        account.withdraw(1)
    with pytest.raises(RuleViolation, match=r"^Bank account has already been closed!$"):
        account.close()


def test_replaying_history_rebuilds_state_and_version() -> None:
    account = BankAccount("id-1")
    account.replay(
        [
            AccountOpened("Ada", AccountType.SAVINGS, 10),
            FundsDeposited(5),
            FundsWithdrawn(3),
            AccountClosed(),
        ]
    )
    assert (account.balance_cents, account.is_open, account.version) == (12, False, 4)
    assert account.pending_events == []
