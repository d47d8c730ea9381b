"""Deciding a request once: its repeats, concurrent or later, get the original answer.

The event store records each request's outcome atomically with its events (or as a
refusal) under a unique key, so whichever process records first decides; any other
attempt at the same request, in this process or another, finds that record and
answers from it. A request id reused for a different command is refused.
"""

from collections.abc import Awaitable, Callable
from typing import NoReturn, TypeVar

from core.errors import DomainError, InvalidInput, error_of_kind, kind_of
from core.event_store import EventStore
from core.requests import Outcome, Refusal, Request, RequestAlreadyDecided

T = TypeVar("T")
Answer = Callable[[str, int], T]  # (aggregate id, version) -> the caller's result type


async def decide_once(
    store: EventStore, request: Request, attempt: Callable[[], Awaitable[T]], answer: Answer[T]
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


async def refuse(
    store: EventStore, request: Request, aggregate_id: str, version: int, error: DomainError
) -> NoReturn:
    """Remember that `request` was refused with `error`, then raise it.

    Raises RequestAlreadyDecided instead when the request was decided elsewhere first.
    """
    refusal = Refusal(kind_of(error), error.message)
    await store.record_refusal(request, aggregate_id, version, refusal)
    raise error
