"""Loads aggregates from their events and saves their new events, then publishes them."""

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Generic, Protocol, TypeVar

from core.aggregate import AggregateRoot
from core.event_bus import EventBus
from core.event_store import EventStore
from core.events import DomainEvent, StoredEvent

A = TypeVar("A", bound=AggregateRoot)


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
    """The only way the application reads or writes an aggregate."""

    def __init__(
        self,
        store: EventStore,
        bus: EventBus,
        codec: EventCodec,
        factory: Callable[[str], A],
        aggregate_type: str,
        *,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._store = store
        self._bus = bus
        self._codec = codec
        self._factory = factory
        self._aggregate_type = aggregate_type
        self._clock = clock

    async def load(self, aggregate_id: str) -> A | None:
        """Rebuild the aggregate from its history; None if it has no events."""
        history = await self._store.load(aggregate_id)
        if not history:
            return None
        aggregate = self._factory(aggregate_id)
        aggregate.replay(self._codec.decode(e.event_type, e.payload) for e in history)
        return aggregate

    async def save(self, aggregate: A, request_id: str) -> list[StoredEvent]:
        """Append the aggregate's pending events (ConcurrencyError if it moved on), then publish."""
        stored = self._to_stored(aggregate, request_id)
        await self._store.append(stored, aggregate.persisted_version)
        aggregate.mark_saved()
        await self._bus.publish(stored)
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
