"""Random command sequences against the aggregate agree with a model a child could check."""

import unicodedata
from dataclasses import dataclass

from hypothesis import given
from hypothesis import strategies as st

from bank.account import MAX_CENTS, BankAccount
from bank.events import AccountType
from core.errors import DomainError, InvalidInput, RuleViolation

amounts = st.one_of(
    st.integers(min_value=-5, max_value=500),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.sampled_from([0, 1, MAX_CENTS, -1, -(2**63)]),
)
actions = st.lists(
    st.tuples(st.sampled_from(["deposit", "withdraw", "close"]), amounts), max_size=40
)


@dataclass
class Model:
    """What an account should do, written as plainly as possible."""

    balance: int
    is_open: bool = True

    def expect(self, action: str, amount: int) -> type[DomainError] | None:
        if action == "close":
            return RuleViolation if not self.is_open else None
        if amount <= 0:
            return InvalidInput
        if not self.is_open:
            return RuleViolation
        if action == "withdraw" and amount > self.balance:
            return RuleViolation
        if action == "deposit" and self.balance + amount > MAX_CENTS:
            return RuleViolation
        return None

    def apply(self, action: str, amount: int) -> None:
        if action == "close":
            self.is_open = False
        else:
            self.balance += amount if action == "deposit" else -amount


@given(opening=st.integers(min_value=0, max_value=MAX_CENTS), steps=actions)
def test_any_sequence_of_commands_matches_the_model(
    opening: int, steps: list[tuple[str, int]]
) -> None:
    account = BankAccount.open("id", "Ada", AccountType.SAVINGS, opening)
    model = Model(opening)
    for action, amount in steps:
        expected_error = model.expect(action, amount)
        version_before = account.version
        try:
            _do(account, action, amount)
        except DomainError as error:
            assert type(error) is expected_error, (action, amount, error.message)
            assert account.version == version_before
            continue
        assert expected_error is None, (action, amount)
        model.apply(action, amount)
        assert (account.balance_cents, account.is_open) == (model.balance, model.is_open)
        assert 0 <= account.balance_cents <= MAX_CENTS
    replayed = BankAccount("id")
    replayed.replay(account.pending_events)
    assert (replayed.balance_cents, replayed.version) == (account.balance_cents, account.version)


def _do(account: BankAccount, action: str, amount: int) -> None:
    if action == "deposit":
        account.deposit(amount)
    elif action == "withdraw":
        account.withdraw(amount)
    else:
        account.close()


def holder_refusal(holder: str) -> str | None:
    """What the holder rule, written out plainly, says of `holder`: the end of its
    refusal message, or None when it is stored as its NFC form."""
    nfc = unicodedata.normalize("NFC", holder)
    if len(nfc) > 200:
        return "at most 200 characters"
    for position, char in enumerate(nfc):
        category = unicodedata.category(char)
        if category in {"Cc", "Cf", "Cs", "Co", "Zl", "Zp"}:
            return f"found U+{ord(char):04X} ({category}) at position {position}"
    if not nfc.strip():
        return "empty or only whitespace"
    return None


# Characters the rule refuses or rewrites, mixed into any UTF-8 text.
TRICKY = "\u0000\t\n\u0085\u00ad\u200b\u200d\u202e\u2067\ufeff\ue000\u2028\u2029 e\u0301\u0344"
holders = st.text(st.one_of(st.characters(codec="utf-8"), st.sampled_from(TRICKY)), max_size=220)


def _check_holder_rule(holder: str) -> None:
    expected = holder_refusal(holder)
    try:
        stored = BankAccount.open("id", holder, AccountType.CURRENT, 0).holder
    except InvalidInput as error:
        assert expected is not None and error.message.startswith("holder must")
        assert error.message.endswith(expected), (error.message, expected)
        return
    assert expected is None, expected
    assert stored == unicodedata.normalize("NFC", holder)


@given(holder=st.one_of(holders, st.text(st.sampled_from(TRICKY + "\ud800x"), max_size=8)))
def test_any_holder_is_refused_by_name_or_kept_in_nfc(holder: str) -> None:
    _check_holder_rule(holder)


@given(holder=st.text(min_size=201, max_size=400))
def test_holders_over_200_characters_in_nfc_are_refused(holder: str) -> None:
    _check_holder_rule(holder)
