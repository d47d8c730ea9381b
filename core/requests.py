"""Requests as the event store remembers them: each decided once, success or refusal.

A client names each request with a request id. The store keeps one record per
request key (the id, scoped to the client that sent it), written in the same
atomic step as the request's events, or as its refusal, and guarded by the
store's own unique constraint: of two processes deciding one request, only one
can record a decision, and the other answers with that one.

Deciding a request once: its repeats, concurrent or later, get the original answer.

The event store records each request's outcome atomically with its events (or as a
refusal) under a unique key, so whichever process records first decides; any other
attempt at the same request, in this process or another, finds that record and
answers from it. A request id reused for a different command is refused.
"""

import dataclasses
import hashlib
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from core.errors import ConcurrencyError, InvalidInput, error_of_kind
from core.events import StoredEvent

MAX_KEY_LENGTH = 255

if TYPE_CHECKING:  # the store records requests; requests need only its type here
    from core.event_store import EventStore, RequestLog


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


T = TypeVar("T")
Answer = Callable[[str, int], T]  # (aggregate id, version) -> the caller's result type


async def decide_once(
    store: "EventStore", request: Request, attempt: Callable[[], Awaitable[T]], answer: Answer[T]
) -> T:
    """Run `attempt`, unless the store already holds this request's outcome: then answer it."""
    try:
        return await attempt()
    except RequestAlreadyDecided:
        outcome = await store.outcome(request.key)
    if outcome is None:
        raise RuntimeError(f"request {request.key!r} was decided but has no outcome")
    return replay(outcome, request, answer)


def replay(outcome: Outcome, request: Request, answer: Answer[T]) -> T:
    """The original answer to `request`: its result, or its refusal raised again."""
    if outcome.fingerprint != request.fingerprint:
        raise InvalidInput(
            f"request_id {request.request_id!r} was already used for a different command",
            field="request_id",
            reason="REQUEST_ID_REUSED",
        )
    if outcome.refusal is not None:
        raise error_of_kind(outcome.refusal.kind, outcome.refusal.message)
    return answer(outcome.aggregate_id, outcome.version)


async def store_decision(store: "EventStore", decision: Decision, expected_version: int) -> None:
    """Store one decision, a turn of one; when it cannot be, raise why (`not_stored`)."""
    if await store.store_in_turn([decision], expected_version) != 1:
        raise await not_stored(store, decision.request, decision.aggregate_id, expected_version)


async def not_stored(
    store: "RequestLog", request: Request, aggregate_id: str, expected_version: int
) -> Exception:
    """Why a turn of one was not stored: RequestAlreadyDecided when its request has an
    outcome recorded, else ConcurrencyError (the stream moved on from `expected_version`)."""
    if await store.outcome(request.key) is not None:
        return RequestAlreadyDecided(request.key)
    return ConcurrencyError(f"{aggregate_id} is no longer at version {expected_version}")
