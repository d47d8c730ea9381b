"""Page sizes and page tokens (core.paging): tokens lead back where they were made, and
only for the query that made them."""

import base64
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.errors import InvalidInput
from core.paging import (
    DEFAULT_PAGE_SIZE,
    INT64,
    INVALID_PAGE_TOKEN,
    MAX_PAGE_SIZE,
    MAX_TOKEN_LENGTH,
    VERSIONS,
    PageTokens,
    page_size_of,
)

BY_BALANCE = PageTokens("balance above 100", shape=(INT64, str))
BY_VERSION = PageTokens("statement of one account", shape=(VERSIONS,))


@given(st.integers(-(2**63), 2**63 - 1), st.text(max_size=100))  # ids are UUIDs
def test_a_token_leads_back_to_its_position(balance: int, account_id: str) -> None:
    token = BY_BALANCE.token_after((balance, account_id))
    assert BY_BALANCE.position_of(token) == (balance, account_id)
    assert token.isascii() and "=" not in token  # safe in URLs and JSON as it is


def test_the_empty_token_is_the_first_page() -> None:
    assert BY_BALANCE.position_of("") is None


def test_a_token_of_another_query_is_refused() -> None:
    token = PageTokens("balance above 200", shape=(INT64, str)).token_after((300, "a"))
    assert refusal(token) == "page_token was given for another query (other filters)"


@pytest.mark.parametrize(
    "token",
    [
        "not a token!",
        "e30",  # {}: JSON, not a list
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
        "x" * (MAX_TOKEN_LENGTH + 1),
    ],
)
def test_strings_the_server_never_gave_are_refused(token: str) -> None:
    assert refusal(token)


def test_a_token_of_the_right_query_but_the_wrong_shape_is_refused() -> None:
    fingerprint = BY_BALANCE.token_after((1, "a"))
    decoded = base64.urlsafe_b64decode(fingerprint + "==").decode()
    mark = decoded.split(",")[0]  # '["<fingerprint>"'
    for parts in ("1", '"a",1', "1,2", 'true,"a"', '1,"a",3'):
        token = base64.urlsafe_b64encode(f"{mark},{parts}]".encode()).decode()
        assert refusal(token) == "page_token is not one this server gave", parts


@pytest.mark.parametrize("balance", [2**63, 2**64 + 5, 10**30, -(2**63) - 1])
def test_a_balance_beyond_int64_is_refused(balance: int) -> None:
    """What no BIGINT column holds: SQLite's driver overflowed (INTERNAL), MySQL compared."""
    token = edited(BY_BALANCE, f'{balance},"a"')
    assert refusal(token) == "page_token is not one this server gave"


@pytest.mark.parametrize("version", [0, -1, 2**63, 2**64 + 5, -(2**63)])
def test_a_version_that_no_statement_has_is_refused(version: int) -> None:
    token = edited(BY_VERSION, str(version))
    assert refusal(token, BY_VERSION) == "page_token is not one this server gave"


@pytest.mark.parametrize(
    ("tokens", "position"),
    [(BY_BALANCE, (2**63 - 1, "a")), (BY_BALANCE, (-(2**63), "a")), (BY_VERSION, (1,))],
)
def test_positions_at_the_bounds_are_kept(
    tokens: PageTokens, position: tuple[int | str, ...]
) -> None:
    assert tokens.position_of(tokens.token_after(position)) == position


@pytest.mark.parametrize("parts", ['1,"\\ud800"', '1,"a\\udfff"', '1.0,"a"', '1e3,"a"'])
def test_text_no_driver_can_send_or_a_float_is_refused(parts: str) -> None:
    """JSON spells lone surrogates, which cannot be encoded as UTF-8 to any database."""
    assert refusal(edited(BY_BALANCE, parts)) == "page_token is not one this server gave"


def edited(tokens: PageTokens, parts: str) -> str:
    """A token of `tokens`' query whose position is the JSON `parts`, as a client edits one."""
    fingerprint = json.loads(base64.urlsafe_b64decode(tokens.token_after((1,)) + "=="))[0]
    data = f'["{fingerprint}",{parts}]'.encode()
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def refusal(token: str, tokens: PageTokens = BY_BALANCE) -> str:
    with pytest.raises(InvalidInput) as refused:
        tokens.position_of(token)
    assert refused.value.reason == INVALID_PAGE_TOKEN
    assert [v.field for v in refused.value.violations] == ["page_token"]
    return refused.value.message


@pytest.mark.parametrize(
    ("requested", "used"),
    [(0, DEFAULT_PAGE_SIZE), (1, 1), (MAX_PAGE_SIZE, MAX_PAGE_SIZE), (2**31 - 1, MAX_PAGE_SIZE)],
)
def test_page_sizes(requested: int, used: int) -> None:
    assert page_size_of(requested) == used


def test_a_negative_page_size_is_refused() -> None:
    with pytest.raises(InvalidInput, match="page_size must not be negative, got -1"):
        page_size_of(-1)
