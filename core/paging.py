"""Paged answers (Google AIP-158): page sizes, and page tokens bound to their query.

A page token says where the next page starts: the sort key of the last item of the
page before. It is opaque to clients (base64url of a small JSON list) but not secret:
a client that forged one could only ask for a page it may read anyway. It carries a
fingerprint of the query that gave it, so that a token passed with other filters is
refused rather than silently answering a mixture of two queries.

A token is also refused unless each part of its position is one the query's sort key
can hold (its `shape`): an integer within the bounds of its column (an int64 at most; a
statement's version at least 1), text that is valid Unicode. An edited token is then
INVALID_PAGE_TOKEN here, not an overflow in the database driver (INTERNAL on SQLite) or
a value the database clamps or compares in its own way (MySQL).
"""

import base64
import binascii
import hashlib
import json
from typing import NamedTuple

from core.errors import InvalidInput

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
MAX_TOKEN_LENGTH = 1024
INVALID_PAGE_TOKEN = "INVALID_PAGE_TOKEN"  # its reason (ErrorInfo.reason)

Position = tuple[str | int, ...]  # the sort key of the last item delivered


class Integers(NamedTuple):
    """A part of a sort key that is an integer from `lowest` to `highest`, both included."""

    lowest: int
    highest: int

    def holds(self, part: object) -> bool:
        return type(part) is int and self.lowest <= part <= self.highest  # no bool, no float


INT64 = Integers(-(2**63), 2**63 - 1)  # what a BIGINT / SQLite INTEGER column holds
VERSIONS = Integers(1, INT64.highest)  # an aggregate's versions start at 1
PositionPart = type[str] | Integers  # str: text that can be encoded as UTF-8
# One encoder and decoder for every token: json.dumps with options builds an encoder per call.
_encode = json.JSONEncoder(separators=(",", ":")).encode
_decode = json.JSONDecoder().decode


class Page(NamedTuple):
    """Some of a query's items, and the token for the ones after them ("" after the last)."""

    items: list[bytes]
    next_page_token: str


def page_size_of(requested: int) -> int:
    """The page size to use: the default for 0, at most MAX_PAGE_SIZE (AIP-158 coerces)."""
    if requested < 0:
        raise InvalidInput(f"page_size must not be negative, got {requested}", field="page_size")
    if requested == 0:
        return DEFAULT_PAGE_SIZE
    return min(requested, MAX_PAGE_SIZE)


class PageTokens:
    """Tokens of one query: `query` names it with every filter that shapes its answer;
    `shape` says what each part of its positions (its sort key) can hold."""

    def __init__(self, query: str, shape: tuple[PositionPart, ...]) -> None:
        self._fingerprint = hashlib.sha256(query.encode()).hexdigest()[:16]
        self._shape = shape

    def token_after(self, position: Position) -> str:
        """The token for the page after the item at `position`."""
        data = _encode([self._fingerprint, *position])
        return base64.urlsafe_b64encode(data.encode()).decode().rstrip("=")

    def position_of(self, token: str) -> Position | None:
        """Where a page starts: None for "" (the first page), else the position the token
        was made after. INVALID_ARGUMENT (INVALID_PAGE_TOKEN) for any other string, or a
        token another query gave."""
        if not token:
            return None
        decoded = _decoded(token)
        if not decoded or decoded[0] != self._fingerprint:
            raise _invalid("page_token was given for another query (other filters)")
        position = tuple(decoded[1:])
        fits = len(position) == len(self._shape) and all(
            _fits(part, expected) for part, expected in zip(position, self._shape, strict=True)
        )
        if not fits:
            raise _invalid("page_token is not one this server gave")
        return position


def _fits(part: object, expected: PositionPart) -> bool:
    if isinstance(expected, Integers):
        return expected.holds(part)
    return type(part) is str and _is_unicode(part)


def _is_unicode(text: str) -> bool:
    """False for a lone surrogate, which JSON can spell ("\\ud800") and no driver can send."""
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def _decoded(token: str) -> list[str | int] | None:
    if len(token) > MAX_TOKEN_LENGTH:
        raise _invalid(f"page_token is longer than {MAX_TOKEN_LENGTH} characters")
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        decoded = _decode(raw.decode())
    except (binascii.Error, ValueError):
        raise _invalid("page_token is not one this server gave") from None
    if not isinstance(decoded, list):
        raise _invalid("page_token is not one this server gave")
    return decoded


def _invalid(message: str) -> InvalidInput:
    return InvalidInput(message, field="page_token", reason=INVALID_PAGE_TOKEN)
