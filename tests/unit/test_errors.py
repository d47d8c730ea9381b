"""Errors as programs read them: reasons that survive being remembered, and every
invalid field named at once."""

import pytest

from bank import account
from bank.account import ACCOUNT_NOT_FOUND
from core.errors import (
    Checks,
    ConcurrencyError,
    DomainError,
    FieldViolation,
    InvalidInput,
    NotFound,
    RuleViolation,
    error_of_kind,
    kind_of,
)

REFUSAL_KIND_COLUMN = 32  # characters: adapters/sql/event_tables.py's refusal_kind

REMEMBERED = [
    RuleViolation("no", reason=account.INSUFFICIENT_FUNDS),
    RuleViolation("no", reason=account.ACCOUNT_CLOSED),
    InvalidInput("no", field="amount_cents", reason=account.BALANCE_OVERFLOW),
    NotFound("no", reason=ACCOUNT_NOT_FOUND),
    ConcurrencyError("no"),
    InvalidInput("no", field="holder"),
]


@pytest.mark.parametrize("error", REMEMBERED, ids=lambda e: e.reason)
def test_a_refusal_remembered_comes_back_with_its_kind_and_reason(error: DomainError) -> None:
    remembered = kind_of(error)
    assert len(remembered) <= REFUSAL_KIND_COLUMN
    again = error_of_kind(remembered, error.message)
    assert (type(again), again.reason, again.message) == (type(error), error.reason, "no")


def test_kinds_remembered_before_reasons_existed_read_as_their_default() -> None:
    again = error_of_kind("RuleViolation", "Withdraw declined, insufficient funds!")
    assert (type(again), again.reason) == (RuleViolation, "RULE_VIOLATED")
    assert type(error_of_kind("SomethingElse", "x")) is DomainError


def test_checks_name_every_field_refused_in_order() -> None:
    def refuse(field: str) -> int:
        raise InvalidInput(f"{field} is wrong", field=field)

    check = Checks()
    values = [check(lambda: refuse("a"), 0), check(lambda: 7, 0), check(lambda: refuse("b"), 0)]
    assert values == [0, 7, 0]
    with pytest.raises(InvalidInput) as raised:
        check.done()
    assert raised.value.violations == (
        FieldViolation("a", "a is wrong"),
        FieldViolation("b", "b is wrong"),
    )
    assert raised.value.message == "a is wrong; b is wrong"


def test_checks_let_other_errors_through_and_pass_when_all_hold() -> None:
    def not_about_a_field() -> str:
        raise RuleViolation("not a field")

    check = Checks()
    assert check(lambda: "fine", "") == "fine"
    check.done()
    with pytest.raises(RuleViolation):
        check(not_about_a_field, "")
