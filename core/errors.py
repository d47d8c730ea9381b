"""Kinds of failure that every edge (gRPC, CLI) maps to its own status, in one place.

Each error carries a message written for people (shown as is), a `reason` written for
programs (a stable UPPER_SNAKE_CASE word: clients branch on it, never on the message)
and `metadata` naming what it is about. Domains raise the core's kinds with a reason of
their own (`RuleViolation(..., reason="INSUFFICIENT_FUNDS")`). InvalidInput names every
field it refuses (`Checks` gathers them, so that a request hears of all at once).

Free text a caller names something with: one Unicode form, nothing invisible.

Text is compared byte for byte wherever it is stored, so the same name must always
arrive in the same form (NFC); characters that do not print, or that reorder what
is printed around them, would let two names that look alike differ, or hide a part.
"""

import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import ClassVar, TypeVar

T = TypeVar("T")


class DomainError(Exception):
    """A failure the caller can understand and act on; its message is safe to show."""

    default_reason: ClassVar[str] = "FAILED"

    def __init__(
        self, message: str, *, reason: str | None = None, metadata: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.reason = reason or self.default_reason
        self.metadata = dict(metadata or {})  # lowerCamelCase keys, as AIP-193 asks

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else type(self).__name__


@dataclass(frozen=True)
class FieldViolation:
    field: str
    description: str


class InvalidInput(DomainError):
    """The request itself is malformed: a field is missing, out of range or badly formed."""

    default_reason = "INVALID_ARGUMENT"

    def __init__(
        self,
        message: str,
        *,
        field: str = "",
        violations: tuple[FieldViolation, ...] = (),
        reason: str | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message, reason=reason, metadata=metadata)
        self.violations = violations or (FieldViolation(field, message),)


class NotFound(DomainError):
    """The request names something that does not exist."""

    default_reason = "NOT_FOUND"


class RuleViolation(DomainError):
    """The request is well formed but the current state forbids it."""

    default_reason = "RULE_VIOLATED"


class ConcurrencyError(DomainError):
    """The aggregate changed since it was read: its version is not the one expected."""

    default_reason = "VERSION_MISMATCH"


class Unavailable(DomainError):
    """A store or broker cannot be reached right now; the same request may succeed later."""

    default_reason = "UNAVAILABLE"


class DeadlineExceeded(DomainError):
    """The answer was not ready within the time the caller allowed."""

    default_reason = "NOT_READY_IN_TIME"


def is_transient(error: BaseException) -> bool:
    """Whether the same attempt may succeed later: a store or bus away, a race lost, time
    run out. Any other failure is taken to recur however often it is tried."""
    return isinstance(error, Unavailable | ConcurrencyError | DeadlineExceeded | TimeoutError)


class Checks:
    """Runs the checks of a request's fields and refuses them all at once.

    check = Checks()
    amount = check(lambda: positive_amount(request.amount_cents), 0)
    ...
    check.done()  # InvalidInput naming every field refused above
    """

    def __init__(self) -> None:
        self._violations: list[FieldViolation] = []
        self._reasons: set[str] = set()

    def __call__(self, check: Callable[[], T], instead: T) -> T:
        """What `check` answers; `instead` when it refuses (remembered for `done`)."""
        try:
            return check()
        except InvalidInput as refused:
            self._violations.extend(refused.violations)
            self._reasons.add(refused.reason)
            return instead

    def done(self) -> None:
        """Refuse every field refused so far; with their reason when they all share one."""
        if self._violations:
            message = "; ".join(v.description for v in self._violations)
            reason = self._reasons.pop() if len(self._reasons) == 1 else None
            raise InvalidInput(message, violations=tuple(self._violations), reason=reason)


# The kinds a refusal is remembered as (see core.requests), most specific first.
_KINDS: dict[str, type[DomainError]] = {
    kind.__name__: kind
    for kind in (InvalidInput, NotFound, RuleViolation, ConcurrencyError, DomainError)
}
REASON_MARK = "/"  # between a remembered refusal's kind and its reason


def kind_of(error: DomainError) -> str:
    """The error's kind and reason as remembered: the nearest of the core's own classes,
    then the reason when it is not that kind's default ("RuleViolation/INSUFFICIENT_FUNDS")."""
    kind = next(k for k in type(error).__mro__ if _KINDS.get(k.__name__) is k)
    if error.reason == kind.default_reason:
        return kind.__name__
    return f"{kind.__name__}{REASON_MARK}{error.reason}"


def error_of_kind(remembered: str, message: str) -> DomainError:
    """The error `kind_of` remembered (a plain DomainError for a kind it does not know)."""
    kind, _, reason = remembered.partition(REASON_MARK)
    return _KINDS.get(kind, DomainError)(message, reason=reason or None)


# Controls, format characters (zero-width, bidirectional overrides), surrogates,
# private use, line and paragraph separators.
REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Zl", "Zp"})
# Zero-width non-joiner and joiner shape the letters around them in Arabic-script
# (Persian, Urdu...) and Indic names; as IDNA does, they are kept only there: after
# a virama, or between two Arabic-script letters. Between Latin letters they would
# only hide a difference.
JOINERS = frozenset({"\u200c", "\u200d"})
VIRAMA = 9  # canonical combining class
ARABIC_LETTER = "AL"  # bidirectional class


def refused_character(text: str) -> tuple[int, str] | None:
    """The position and character of the first character of a refused category, if any."""
    for position, char in enumerate(text):
        if unicodedata.category(char) in REFUSED_CATEGORIES and not _joins_letters(text, position):
            return position, char
    return None


def _joins_letters(text: str, position: int) -> bool:
    if text[position] not in JOINERS or not 0 < position < len(text) - 1:
        return False
    before, after = text[position - 1], text[position + 1]
    if unicodedata.combining(before) == VIRAMA:
        return True
    return all(unicodedata.bidirectional(char) == ARABIC_LETTER for char in (before, after))


def checked_text(field: str, raw: str, max_length: int) -> str:
    """`raw` in NFC; InvalidInput, naming `field`, when that holds a refused character,
    is blank, or is longer than `max_length` code points."""
    text = unicodedata.normalize("NFC", raw)
    if len(text) > max_length:
        raise InvalidInput(f"{field} must be at most {max_length} characters", field=field)
    refused = refused_character(text)
    if refused is not None:
        position, char = refused
        raise InvalidInput(
            f"{field} must not contain control, format or separator characters; "
            f"found U+{ord(char):04X} ({unicodedata.category(char)}) at position {position}",
            field=field,
        )
    if not text.strip():
        raise InvalidInput(f"{field} must not be empty or only whitespace", field=field)
    return text
