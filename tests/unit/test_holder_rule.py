"""The holder rule (core.errors), the same on OpenAccount and FindAccountsByHolder: NFC
first; controls, format characters, surrogates, private use and line or paragraph
separators refused by code point; not blank; at most 200 code points after NFC."""

import asyncio
import unicodedata
from collections.abc import Callable

import pytest
from hypothesis import given

from adapters.sql import read_generations
from bank import account as domain
from bank.account import BankAccount
from bank.events import AccountOpened, AccountType
from command_server import translation
from core.errors import InvalidInput
from core.paging import Page
from core.requests import fingerprint
from query_server.translation import FindAccountsByHolder
from techbank.account.v1 import account_pb2, commands_pb2
from techbank.account.v1.account_pb2 import ACCOUNT_TYPE_SAVINGS as SAVINGS
from tests.unit.test_bank_account_properties import holders
from tests.unit.test_query_handlers import FakeReader, dispatcher_over, ids, row, stored

COMPOSED = "Zo\u00eb Bront\u00eb"
DECOMPOSED = "Zoe\u0308 Bronte\u0308"

REFUSED = [
    ("\u0000", "Cc"),  # NUL
    ("\u0009", "Cc"),  # tab
    ("\u000a", "Cc"),  # line feed
    ("\u007f", "Cc"),  # delete
    ("\u0085", "Cc"),  # next line
    ("\u00ad", "Cf"),  # soft hyphen
    ("\u200b", "Cf"),  # zero-width space
    ("\u200c", "Cf"),  # zero-width non-joiner
    ("\u200d", "Cf"),  # zero-width joiner
    ("\u200e", "Cf"),  # left-to-right mark
    ("\u202a", "Cf"),  # left-to-right embedding
    ("\u202e", "Cf"),  # right-to-left override
    ("\u2066", "Cf"),  # left-to-right isolate
    ("\u2069", "Cf"),  # pop directional isolate
    ("\ufeff", "Cf"),  # zero-width no-break space (byte order mark)
    ("\ud800", "Cs"),  # a lone surrogate
    ("\ue000", "Co"),  # private use
    ("\U000f0000", "Co"),  # supplementary private use
    ("\u2028", "Zl"),  # line separator
    ("\u2029", "Zp"),  # paragraph separator
]


def refusal(char: str, category: str, position: int) -> str:
    return (
        "holder must not contain control, format or separator characters; "
        f"found U+{ord(char):04X} ({category}) at position {position}"
    )


def open_holder(holder: str) -> str:
    return BankAccount.open("id-1", holder, AccountType.SAVINGS, 0).holder


def command_holder(holder: str) -> str:
    request = commands_pb2.OpenAccountRequest(
        holder=holder, account_type=account_pb2.ACCOUNT_TYPE_SAVINGS
    )
    return translation.open_account(request).holder


async def query_holder(holder: str) -> list[bytes]:
    found = await dispatcher_over(FakeReader()).ask(FindAccountsByHolder(holder))
    return found.items


@pytest.mark.parametrize(("char", "category"), REFUSED)
def test_each_refused_category_is_named_by_code_point(char: str, category: str) -> None:
    assert unicodedata.category(char) == category
    with pytest.raises(InvalidInput) as raised:
        open_holder(f"Ann{char}Lee")
    assert raised.value.message == refusal(char, category, 3)


@pytest.mark.parametrize(("char", "category"), REFUSED)
async def test_the_query_side_refuses_the_same_characters(char: str, category: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        await query_holder(f"Ann{char}Lee")
    assert raised.value.message == refusal(char, category, 3)


@pytest.mark.parametrize(("char", "category"), [r for r in REFUSED if r[1] != "Cs"])
def test_the_command_is_refused_where_it_is_built(char: str, category: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        command_holder(f"Ann{char}Lee")
    assert raised.value.message == refusal(char, category, 3)


@pytest.mark.parametrize("char", ["\u0000", "\u200b", "\ufeff", "\u202e"])
def test_a_holder_of_only_an_invisible_character_is_named_not_called_blank(char: str) -> None:
    with pytest.raises(InvalidInput, match=f"found U\\+{ord(char):04X} "):
        open_holder(char * 3)


def test_the_first_refused_character_is_named_at_its_position_after_nfc() -> None:
    with pytest.raises(InvalidInput) as raised:
        open_holder("Ze\u0301\u202eA\u0000")
    assert raised.value.message == refusal("\u202e", "Cf", 2)


@pytest.mark.parametrize(
    "holder", ["Ada Lovelace", "  Ada  ", "Ada\u00a0Lovelace", "\u738b\u5c0f\u660e", "\U0001f600"]
)
def test_spaces_and_other_printable_text_are_kept(holder: str) -> None:
    assert open_holder(holder) == command_holder(holder) == holder


@pytest.mark.parametrize("holder", ["", " ", "\u00a0\u3000"])
def test_blank_holders_are_still_refused(holder: str) -> None:
    with pytest.raises(InvalidInput, match=r"^holder must not be empty or only whitespace$"):
        open_holder(holder)


def test_the_decomposed_form_is_stored_composed() -> None:
    assert DECOMPOSED != COMPOSED == unicodedata.normalize("NFC", DECOMPOSED)
    account = BankAccount.open("id-1", DECOMPOSED, AccountType.SAVINGS, 0)
    assert account.pending_events == [AccountOpened(COMPOSED, AccountType.SAVINGS, 0)]


def test_both_forms_build_the_same_command_so_one_request_id_fits_both() -> None:
    assert command_holder(DECOMPOSED) == COMPOSED
    composed, decomposed = (
        translation.open_account(
            commands_pb2.OpenAccountRequest(holder=h, account_type=SAVINGS, request_id="r")
        )
        for h in (COMPOSED, DECOMPOSED)
    )
    assert composed == decomposed
    assert fingerprint(composed) == fingerprint(decomposed)


async def test_a_search_with_the_decomposed_form_finds_the_composed_holder() -> None:
    zoe = row(ids(1)[0], holder=COMPOSED)
    found = await dispatcher_over(FakeReader(zoe)).send(FindAccountsByHolder(DECOMPOSED))
    assert found == Page([stored(zoe).wire], "")


@pytest.mark.parametrize("check", [open_holder, command_holder])
def test_length_is_counted_in_code_points_after_nfc(check: Callable[[str], str]) -> None:
    assert check("e\u0301" * 200) == "\u00e9" * 200
    with pytest.raises(InvalidInput, match=r"^holder must be at most 200 characters$"):
        check("\u0344" * 101)  # each is two code points in NFC


async def test_the_query_counts_length_after_nfc_too() -> None:
    assert await query_holder("e\u0301" * 200) == []
    with pytest.raises(InvalidInput, match=r"^holder must be at most 200 characters$"):
        await query_holder("\u0344" * 101)


def test_the_read_model_holds_the_longest_holder_the_domain_allows() -> None:
    assert read_generations.tables_of(1).accounts.c.holder.type.length == domain.MAX_HOLDER_LENGTH  # type: ignore[attr-defined]


def test_stored_holders_are_replayed_as_they_are() -> None:
    old = "Ann\u202eLee\u0000 e\u0301"
    account = BankAccount("id-1")
    account.replay([AccountOpened(old, AccountType.CURRENT, 5)])
    assert (account.holder, account.balance_cents, account.is_open) == (old, 5, True)


def opening_refusal(holder: str) -> str | None:
    try:
        open_holder(holder)
    except InvalidInput as error:
        return error.message
    return None


async def query_refusal(holder: str) -> str | None:
    try:
        await query_holder(holder)
    except InvalidInput as error:
        return error.message
    return None


@given(holder=holders)
def test_the_query_refuses_exactly_what_opening_refuses(holder: str) -> None:
    assert asyncio.run(query_refusal(holder)) == opening_refusal(holder)


@pytest.mark.parametrize(
    "holder",
    [
        "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645",  # Persian: ZWNJ between Arabic letters
        "\u0915\u094d\u200d\u0937",  # Devanagari: ZWJ after a virama
    ],
)
def test_joiners_stay_where_a_script_shapes_with_them(holder: str) -> None:
    assert open_holder(holder) == holder


@pytest.mark.parametrize("holder", ["A\u200dda", "\u0645\u200c", "a\u200d\U0001f600"])
def test_joiners_are_refused_anywhere_else(holder: str) -> None:
    with pytest.raises(InvalidInput):
        open_holder(holder)
