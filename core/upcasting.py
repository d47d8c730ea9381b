"""Events stored in an older shape, read in the current one.

An event's `schema_version` says which shape its payload has. When an event type's
shape changes, its code gains a step from the old version to the next (a function of
the payload's bytes), and every reader reads through the chain of steps: the
aggregates, the projector, the restore and the bus then only ever see events in their
current shape, however old the stored ones are. Stored events are never rewritten.

A version above the newest this code knows (written by a newer process, during a
rolling upgrade) passes through untouched: the evolution rules (docs/evolution.md)
keep every shape readable by the code of the shape before.
"""

from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from core.aggregate import Snapshot
from core.event_store import EventStore, OutboxPosition
from core.events import StoredEvent
from core.requests import Decision, Outcome

Step = Callable[[bytes], bytes]  # a payload at version v -> the same event at v + 1


@dataclass(frozen=True)
class Upcaster:
    """The steps between versions: (event type, version v) -> the step from v to v + 1."""

    steps: Mapping[tuple[str, int], Step]

    def current(self, event_type: str) -> int:
        """The version this code writes `event_type` at: 1 plus the steps from 1."""
        version = 1
        while (event_type, version) in self.steps:
            version += 1
        return version

    def __call__(self, event: StoredEvent) -> StoredEvent:
        """The event in its current shape (the same object when it already is)."""
        payload, version = event.payload, event.schema_version
        while (step := self.steps.get((event.event_type, version))) is not None:
            payload, version = step(payload), version + 1
        if version == event.schema_version:
            return event
        return replace(event, payload=payload, schema_version=version)

    def all(self, events: Sequence[StoredEvent]) -> list[StoredEvent]:
        return [self(event) for event in events]


class UpcastingEventStore(EventStore):
    """An event store whose reads answer every event in its current shape; writes and
    everything else go to `inner` unchanged."""

    def __init__(self, inner: EventStore, upcaster: Upcaster) -> None:
        self.inner = inner
        self._upcast = upcaster

    async def store_in_turn(self, decisions: Sequence[Decision], expected_version: int) -> int:
        return await self.inner.store_in_turn(decisions, expected_version)

    async def outcome(self, request_key: str) -> Outcome | None:
        return await self.inner.outcome(request_key)

    async def load(self, aggregate_id: str, after_version: int = 0) -> list[StoredEvent]:
        return self._upcast.all(await self.inner.load(aggregate_id, after_version))

    async def load_many(self, aggregate_ids: Sequence[str]) -> dict[str, list[StoredEvent]]:
        loaded = await self.inner.load_many(aggregate_ids)
        return {aggregate_id: self._upcast.all(events) for aggregate_id, events in loaded.items()}

    async def save_snapshot(self, snapshot: Snapshot) -> None:
        await self.inner.save_snapshot(snapshot)

    async def load_snapshot(self, aggregate_id: str) -> Snapshot | None:
        return await self.inner.load_snapshot(aggregate_id)

    def aggregate_ids(self) -> AsyncIterator[str]:
        return self.inner.aggregate_ids()

    async def unpublished(
        self, older_than: datetime, limit: int, after: OutboxPosition | None = None
    ) -> list[StoredEvent]:
        return self._upcast.all(await self.inner.unpublished(older_than, limit, after))

    async def mark_published(self, event_ids: Sequence[str]) -> None:
        await self.inner.mark_published(event_ids)

    async def ping(self) -> None:
        await self.inner.ping()

    async def close(self) -> None:
        await self.inner.close()
