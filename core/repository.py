"""Loads aggregates from their events and saves their new events, then publishes them."""

import copy
import uuid
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Generic, Protocol, TypeVar

from core.aggregate import AggregateRoot
from core.event_store import EventStore
from core.events import DomainEvent, StoredEvent
from core.outbox import Outbox
from core.requests import Request

A = TypeVar("A", bound=AggregateRoot)
# Called between a successful append and the hand-over to the outbox: a seam for fault
# injection ("the process dies right after the append"), nothing else.
AppendHook = Callable[[list[StoredEvent]], None]


class EventCodec(Protocol):
    """Turns a domain's events into bytes for the store and the bus, and back."""

    def encode(self, event: DomainEvent) -> tuple[str, bytes]:
        """Return the event's type name and its serialized payload."""

    def decode(self, event_type: str, payload: bytes) -> DomainEvent:
        """Rebuild an event from its type name and payload."""


def utc_now() -> datetime:
    """Now, to the millisecond: the precision every event store (BSON dates too) keeps."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


class Repository(Generic[A]):
    """The only way the application reads or writes an aggregate.

    Aggregates must be deep-copyable (plain attributes): the repository keeps a copy of
    the last state it loaded or saved of each, and hands out copies.
    """

    def __init__(
        self,
        store: EventStore,
        outbox: Outbox,
        codec: EventCodec,
        factory: Callable[[str], A],
        aggregate_type: str,
        *,
        clock: Callable[[], datetime] = utc_now,
        after_append: AppendHook | None = None,
        remember: int = 10_000,
    ) -> None:
        self._store = store
        self._outbox = outbox
        self._after_append = after_append
        self._codec = codec
        self._factory = factory
        self._aggregate_type = aggregate_type
        self._clock = clock
        # The last known state of recently used aggregates, least recently used first.
        self._known: OrderedDict[str, A] = OrderedDict()
        self._known_limit = remember

    @property
    def store(self) -> EventStore:
        return self._store

    async def load(self, aggregate_id: str) -> A | None:
        """Rebuild the aggregate from its history; None if it has no events.

        Starts from the last state this repository saw of it, if any, and reads only the
        events stored since: events never change, so that state stays true.
        """
        known = self._known.get(aggregate_id)
        aggregate = copy.deepcopy(known) if known is not None else self._factory(aggregate_id)
        history = await self._store.load(aggregate_id, after_version=aggregate.version)
        if known is None and not history:
            return None
        aggregate.replay(self._codec.decode(e.event_type, e.payload) for e in history)
        if history:
            self._remember(aggregate)
        else:
            self._known.move_to_end(aggregate_id)  # still recently used
        return aggregate

    def _remember(self, aggregate: A) -> None:
        self._known[aggregate.id] = copy.deepcopy(aggregate)
        self._known.move_to_end(aggregate.id)
        if len(self._known) > self._known_limit:
            self._known.popitem(last=False)

    async def save(self, aggregate: A, request: Request) -> list[StoredEvent]:
        """Append the aggregate's pending events as the effect of `request`, then queue them
        for the bus: once appended, they reach it (see Outbox).

        Raises ConcurrencyError if the aggregate moved on, RequestAlreadyDecided if the
        request was decided before; then nothing is stored.
        """
        stored = self._to_stored(aggregate, request.request_id)
        await self._store.append(stored, aggregate.persisted_version, request)
        aggregate.mark_saved()
        self._remember(aggregate)
        if self._after_append is not None:
            self._after_append(stored)
        self._outbox.enqueue(stored)
        return stored

    def _to_stored(self, aggregate: A, request_id: str) -> list[StoredEvent]:
        now = self._clock()
        stored = []
        for offset, event in enumerate(aggregate.pending_events, start=1):
            event_type, payload = self._codec.encode(event)
            stored.append(
                StoredEvent(
                    event_id=str(uuid.uuid4()),
                    aggregate_id=aggregate.id,
                    aggregate_type=self._aggregate_type,
                    version=aggregate.persisted_version + offset,
                    event_type=event_type,
                    occurred_at=now,
                    request_id=request_id,
                    payload=payload,
                )
            )
        return stored
