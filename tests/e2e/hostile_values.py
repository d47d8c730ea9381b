"""The values a hostile caller sends: numbers at and beyond every bound, strings no form
expects, ids in every spelling, tokens and moments no server gave."""

import uuid
from collections.abc import Sequence
from typing import TypeVar

from google.protobuf.timestamp_pb2 import Timestamp
from hypothesis import strategies as st

from tests.e2e.bank_model import MAX_CENTS, MAX_REFERENCE, MAX_REQUEST_ID

INT64_MIN, INT32_MAX = -(2**63), 2**31 - 1
T = TypeVar("T")


def pick(data: st.DataObject, pool: Sequence[T]) -> T | None:
    """One of `pool` (None if empty), by an index drawn from a fixed range: a replayed
    example draws the same whatever the pool holds then (the system is not replayed)."""
    index = data.draw(st.integers(0, 63))
    return pool[index % len(pool)] if pool else None


def amount(data: st.DataObject, balance: int) -> int:
    """An amount at a bound, small, or at the bounds of an account holding `balance`."""
    name, bound, small = data.draw(amount_names), data.draw(amount_bounds), data.draw(smalls)
    room = MAX_CENTS - balance
    named = {"a bound": bound, "small": small, "balance": balance, "balance + 1": balance + 1}
    return min(named.get(name, room + (name == "room + 1")), MAX_CENTS)


# Amounts named by what they are (about an account: its balance, and the room left below
# int64's maximum); most are good, so that a step often gets past the checks of its fields.
amount_names = st.sampled_from(
    ["a bound", "small", "small", "small", "balance", "balance + 1", "room", "room + 1"]
)
amount_bounds = st.sampled_from([0, -1, 1, MAX_CENTS, INT64_MIN, INT64_MIN + 1])
smalls = st.integers(1, 500)
opening_balances = st.one_of(
    st.sampled_from([0, 1, -1, INT64_MIN, MAX_CENTS, MAX_CENTS - 1]),
    st.integers(0, 1000),
)
page_sizes = st.sampled_from([0, 1, 2, 3, 1000, 1001, INT32_MAX, -1, -(2**31)])
# Versions around an account's own (expected_version, min_version): which to draw from.
version_choices = st.sampled_from(
    ["none"] * 4
    + ["current"] * 2
    + ["previous", "next", "zero", "negative", "int64 max", "int64 min"]
)


def version_of(choice: str, current: int) -> int | None:
    """The version `choice` names around `current` (None: "none", no version given)."""
    return {
        "current": current,
        "previous": current - 1,
        "next": current + 1,
        "zero": 0,
        "negative": -1,
        "int64 max": MAX_CENTS,
        "int64 min": INT64_MIN,
    }.get(choice)


# Text no form expects: empty, blank, controls, bidi overrides, zero-width, non-NFC
# (e + combining acute), markup, SQL, astral characters, and lengths at the bounds.
HOSTILE_TEXT = [
    "",
    " ",
    "\t",
    "Ann\x00Lee",
    "Ann\u202eLee",
    "\u200b",
    "Jos\u0065\u0301",  # not NFC: stored as José
    "<script>alert(1)</script>",
    "Robert'); DROP TABLE accounts;--",
    " Ada ",
    "क्\u200dष",  # a joiner after a virama: kept
    "𝄞" * 200,
    "x" * 201,
    "é" * MAX_REFERENCE,
    "e\u0301" * MAX_REFERENCE,  # 280 code points, 140 in NFC
    "y" * (MAX_REFERENCE + 1),
]
# (No lone surrogate: protobuf cannot send one; tests/e2e/test_bad_bytes.py sends such bytes.)
texts = st.one_of(st.sampled_from(HOSTILE_TEXT), st.text(max_size=12))
references = st.one_of(st.just(""), st.just("invoice 42"), texts)
NOT_UUIDS = [
    "",
    "x",
    "'; DROP TABLE events;--",
    "<script>",
    "12345678-1234-1234-1234-12345678901",  # one digit short
    "\x00" * 36,
    "𝄞" * 36,
    " " + str(uuid.UUID(int=1)),
    "z" * 1000,
]
# Other spellings of the same UUID, which every id field reads as that UUID.
RESPELLINGS = ["upper", "braces", "urn", "hex"]


def respelled(account_id: str, how: str) -> str:
    hex_form = uuid.UUID(account_id).hex
    return {
        "upper": account_id.upper(),
        "braces": "{" + account_id + "}",
        "urn": f"urn:uuid:{account_id}",
        "hex": hex_form,
    }[how]


# Request ids after a tag of the example's own (so that examples never share one).
request_id_tails = st.sampled_from(
    ["plain"] * 3 + ["none"] * 2 + ["NUL \x00", "<script>", "é at the limit", "one too long", "𝄞"]
)


def request_id(tag: str, tail: str) -> str:
    if tail == "none":
        return ""  # the server makes one up: every call a new request
    if tail == "é at the limit":
        return tag + "é" * (MAX_REQUEST_ID - len(tag))
    if tail == "one too long":
        return tag + "r" * (MAX_REQUEST_ID + 1 - len(tag))
    return f"{tag}{uuid.uuid4().hex[:8]} {tail}"


# Timestamps: the bounds google.protobuf.Timestamp allows, and beyond them.
TS_MIN, TS_MAX = -62135596800, 253402300799
moments = st.sampled_from(
    [
        "missing",
        "min",
        "max",
        "epoch",
        "before open",
        "now",
        "a movement's",
        "beyond max",
        "before min",
        "negative nanos",
        "a second of nanos",
        "int64 seconds",
        "int64 min seconds",
    ]
)
INVALID_MOMENTS = {
    "beyond max": (TS_MAX + 1, 0),
    "before min": (TS_MIN - 1, 0),
    "negative nanos": (0, -1),
    "a second of nanos": (0, 10**9),
    "int64 seconds": (MAX_CENTS, 0),
    "int64 min seconds": (INT64_MIN, 0),
}


def timestamp(seconds: int, nanos: int = 0) -> Timestamp:
    return Timestamp(seconds=seconds, nanos=nanos)


# Page tokens no server gave, and positions to edit real ones with.
GARBAGE_TOKENS = ["not a token!", "e30", "W10", "WyJ4Il0", "x" * 1025, "=="]
edited_integers = st.sampled_from(
    [2**63, 2**64 + 5, 10**30, MAX_CENTS, INT64_MIN, INT64_MIN - 1, 0, -1, 1, 2]
)
edited_texts = st.sampled_from(["", "zzzz", "\ud800", "a\udfff", "\x00", "𝄞"])
