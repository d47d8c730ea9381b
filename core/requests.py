"""Requests as the event store remembers them: each decided once, success or refusal.

A client names each request with a request id. The store keeps one record per
request key (the id, scoped to the client that sent it), written in the same
atomic step as the request's events, or as its refusal, and guarded by the
store's own unique constraint: of two processes deciding one request, only one
can record a decision, and the other answers with that one.
"""

import dataclasses
import hashlib
import uuid
from dataclasses import dataclass, field
from typing import Any

from core.events import StoredEvent

MAX_KEY_LENGTH = 255


@dataclass(frozen=True)
class Request:
    """One client request: who sent it, the id they gave it (or the server made up), and
    a digest of its content."""

    request_id: str
    fingerprint: str
    client: str = ""
    # Unique per store: the same id from two clients is two requests.
    key: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        key = f"{len(self.client)}:{self.client}:{self.request_id}"
        if len(key) > MAX_KEY_LENGTH:
            raise ValueError(f"request key longer than {MAX_KEY_LENGTH} characters")
        object.__setattr__(self, "key", key)


@dataclass(frozen=True)
class Refusal:
    """Why a request was refused: the kind of error (a name in core.errors) and its message."""

    kind: str
    message: str


@dataclass(frozen=True)
class Outcome:
    """What the store remembers a request did.

    On success `version` is the aggregate's version after the request's last event;
    on refusal, the version the aggregate was at when it was refused (0: no such aggregate).
    """

    fingerprint: str
    aggregate_id: str
    version: int
    refusal: Refusal | None = None


@dataclass(frozen=True)
class Decision:
    """What one request decided about one aggregate: the events it raised, or its refusal
    (taken at `version`, the aggregate's version then)."""

    request: Request
    aggregate_id: str
    version: int
    events: tuple[StoredEvent, ...] = ()
    refusal: Refusal | None = None


class RequestAlreadyDecided(Exception):
    """The store already holds an outcome for this request key; nothing was written."""


def request_for(command: Any, request_id: str, client: str = "") -> Request:
    """The request that carries `command`; a new random id when the client gave none."""
    if request_id:
        return Request(request_id, fingerprint(command), client)
    return Request(str(uuid.uuid4()), fingerprint(command), client)


def fingerprint(command: Any) -> str:
    """A digest of a command dataclass's type and fields, less its request id and client."""
    content = repr(
        (
            type(command).__name__,
            sorted(
                (f.name, getattr(command, f.name))
                for f in dataclasses.fields(command)
                if f.name not in ("request_id", "client")
            ),
        )
    )
    return hashlib.sha256(content.encode()).hexdigest()
