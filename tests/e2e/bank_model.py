"""What the bank holds, written as plainly as possible: the model the hostile callers'
state machine (tests/e2e/test_hostile_callers.py) checks every answer against.

Its rules are docs/api.md's, read one at a time; where the code is the only source
(the order of checks), the code's. It knows only what its own calls did: the system it
drives also holds what earlier examples left, which no answer about ours may show.
"""

import unicodedata
import uuid
from dataclasses import dataclass, field

import grpc
from google.protobuf.timestamp_pb2 import Timestamp

from techbank.account.v1 import account_pb2

Status = grpc.StatusCode
MAX_CENTS = 2**63 - 1
MAX_HOLDER = 200
MAX_REFERENCE = 140
MAX_REQUEST_ID = 128
REFUSED_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Zl", "Zp"}
JOINERS = {"\u200c", "\u200d"}
OPEN, CLOSED = account_pb2.ACCOUNT_STATUS_OPEN, account_pb2.ACCOUNT_STATUS_CLOSED


@dataclass(frozen=True)
class Expected:
    """An answer the model expects: a status, and for a refusal its reason (one of
    `reasons`) and, for invalid input, the fields it names."""

    code: Status
    reasons: frozenset[str] = frozenset({""})
    fields: frozenset[str] | None = None  # None: not said (no BadRequest to compare)

    @classmethod
    def refused(cls, code: Status, *reasons: str) -> "Expected":
        return cls(code, frozenset(reasons))


OK = Expected(Status.OK)
ACCOUNT_NOT_FOUND = Expected.refused(Status.NOT_FOUND, "ACCOUNT_NOT_FOUND")
# A read model that is not there yet: the server's own answer, or the caller's deadline.
NOT_REACHED = Expected.refused(Status.DEADLINE_EXCEEDED, "VERSION_NOT_REACHED", "")

Violation = tuple[str, str]  # (field, reason)


def invalid(violations: list[Violation]) -> Expected:
    """INVALID_ARGUMENT naming every field refused (at least one); their reason when they
    all share one, else INVALID_ARGUMENT (core.errors.Checks)."""
    reasons = {reason for _, reason in violations}
    reason = reasons.pop() if len(reasons) == 1 else "INVALID_ARGUMENT"
    return Expected(
        Status.INVALID_ARGUMENT, frozenset({reason}), frozenset(f for f, _ in violations)
    )


def bad(field_name: str, reason: str = "INVALID_ARGUMENT") -> list[Violation]:
    return [(field_name, reason)]


def canonical(raw: str) -> str | None:
    """The id `raw` names (any spelling of a UUID), None when it names none."""
    try:
        return str(uuid.UUID(raw))
    except ValueError:
        return None


def text_refused(text: str, limit: int) -> bool:
    """docs/api.md, Holders (references alike): refused after NFC if longer than `limit`,
    blank, or holding a control, format, surrogate, private-use or separator character
    (a zero-width (non-)joiner is kept after a virama or between two Arabic letters)."""
    nfc = unicodedata.normalize("NFC", text)
    if len(nfc) > limit or not nfc.strip():
        return True
    return any(
        unicodedata.category(c) in REFUSED_CATEGORIES and not _shapes(nfc, i)
        for i, c in enumerate(nfc)
    )


def _shapes(text: str, i: int) -> bool:
    if text[i] not in JOINERS or not 0 < i < len(text) - 1:
        return False
    before, after = text[i - 1], text[i + 1]
    arabic = all(unicodedata.bidirectional(c) == "AL" for c in (before, after))
    return unicodedata.combining(before) == 9 or arabic


def reference_refused(reference: str) -> bool:
    return reference != "" and text_refused(reference, MAX_REFERENCE)


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


@dataclass(frozen=True)
class Line:
    """One movement of a statement (one event of the account)."""

    version: int
    kind: str  # MovementKind's name without its prefix: OPENED, DEPOSIT, TRANSFER_IN...
    amount: int
    balance: int
    reference: str = ""
    transfer_id: str = ""


@dataclass
class Account:
    account_id: str
    holder: str  # as stored: in NFC
    account_type: int
    lines: list[Line] = field(default_factory=list)
    seen: int = 0  # the highest version the read model was seen to hold
    opened_before: float = 0.0  # a time.time() before it was opened
    moments: dict[int, Timestamp] = field(default_factory=dict)  # occurred_at by version

    @property
    def version(self) -> int:
        return len(self.lines)

    @property
    def balance(self) -> int:
        return self.lines[-1].balance

    @property
    def status(self) -> int:
        return self.status_at(self.version)

    def status_at(self, version: int) -> int:
        return CLOSED if any(line.kind == "CLOSED" for line in self.lines[:version]) else OPEN

    def add(self, kind: str, amount: int, reference: str = "", transfer_id: str = "") -> None:
        before = self.balance if self.lines else 0
        line = Line(self.version + 1, kind, amount, before + amount, reference, transfer_id)
        self.lines.append(line)


@dataclass
class Transfer:
    transfer_id: str
    source: str
    target: str
    amount: int
    reference: str
    status: str  # COMPLETED or REFUSED
    reasons: frozenset[str] = frozenset({""})
    refunded: bool = False
    version: int | None = None  # None: not said (a refusal naming an id that is no account)
