"""What the `techbank` command prints: amounts."""

import pytest

from techbank_client.output import money


@pytest.mark.parametrize(
    ("cents", "shown"),
    [
        (12000, "120.00"),
        (5, "0.05"),
        (0, "0.00"),
        (-5, "-0.05"),
        (-12345, "-123.45"),
        (2**63 - 1, "92233720368547758.07"),  # the largest balance, exact: no float
    ],
)
def test_amounts_are_decimal_currency_from_integer_cents(cents: int, shown: str) -> None:
    assert money(cents) == shown
