"""Random command sequences against the aggregate agree with a model a child could check."""

from dataclasses import dataclass

from hypothesis import given
from hypothesis import strategies as st

from command_server.domain.account import MAX_CENTS, BankAccount
from command_server.domain.events import AccountType
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
            return InvalidInput
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


@given(holder=st.text(min_size=1, max_size=200).filter(lambda h: h.strip() != ""))
def test_any_non_blank_holder_up_to_200_characters_is_kept_exactly(holder: str) -> None:
    assert BankAccount.open("id", holder, AccountType.CURRENT, 0).holder == holder


@given(holder=st.text(min_size=201, max_size=400))
def test_holders_over_200_characters_are_refused(holder: str) -> None:
    try:
        BankAccount.open("id", holder, AccountType.CURRENT, 0)
    except InvalidInput as error:
        assert "holder" in error.message
    else:
        raise AssertionError("accepted a holder over 200 characters")
