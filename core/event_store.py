"""The event store port (append-only streams, one per aggregate, with optimistic
concurrency) and the event bus port (how stored events reach the read side).
"""

import asyncio
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import datetime

from core.aggregate import Snapshot
from core.errors import ConcurrencyError
from core.events import StoredEvent
from core.requests import Decision, Outcome, RequestAlreadyDecided

LOADS_AT_ONCE = 16
LOADS_PER_CHUNK = 500
OutboxPosition = tuple[str, int]  # (aggregate id, version) of an event in the outbox


class RequestLog(ABC):
    """Each request's outcome, recorded with its events or as a refusal under the
    request's key, which the store keeps unique itself (core.requests)."""

    @abstractmethod
    async def outcome(self, request_key: str) -> Outcome | None:
        """What the request with this key did, as recorded; None if nothing was."""


class SnapshotStore(ABC):
    """Each aggregate's latest snapshot: a cache of the fold of its events."""

    @abstractmethod
    async def save_snapshot(self, snapshot: Snapshot) -> None:
        """Keep `snapshot` as its aggregate's latest, unless the store keeps one of a later
        version already. Of saves at the same moment any one may be kept (FerretDB does
        not update atomically): each is the true state at its version, so which one is
        kept costs only the next load's time."""

    @abstractmethod
    async def load_snapshot(self, aggregate_id: str) -> Snapshot | None:
        """The aggregate's latest snapshot kept, or None."""


class OutboxStore(ABC):
    """The events not yet on the bus: every event is stored unpublished, and marked
    published once the bus has it, so nothing stored can be lost on the way (core.outbox)."""

    @abstractmethod
    async def unpublished(
        self, older_than: datetime, limit: int, after: OutboxPosition | None = None
    ) -> list[StoredEvent]:
        """Return up to `limit` events stored before `older_than` and not yet marked
        published, in (aggregate id, version) order, from just after `after` on: the
        outbox the relay drains, a page at a time."""

    @abstractmethod
    async def mark_published(self, event_ids: Sequence[str]) -> None:
        """Record that these events reached the bus; marking twice is harmless."""


class EventStore(RequestLog, SnapshotStore, OutboxStore, ABC):
    """Keeps every event of every aggregate, in order, forever; in the same database it
    plays the other roles the write needs to be atomic with: the request log, the
    outbox, and the snapshots beside the events.

    Its one write is a turn of decisions on one aggregate (`store_in_turn`): a command
    decided alone is a turn of one.
    """

    @abstractmethod
    async def store_in_turn(self, decisions: Sequence[Decision], expected_version: int) -> int:
        """Store one aggregate's decisions in order, the events of each following those
        of the one before, from `expected_version` on; stop at the first that cannot be
        stored (the aggregate moved on, or its request was decided before) and return
        how many were. Each decision is stored atomically: its events, unpublished, with
        its request's record (or the refusal alone); nothing of one that is not stored is
        written. Unavailable when the store cannot be reached.
        """

    @abstractmethod
    async def load(self, aggregate_id: str, after_version: int = 0) -> list[StoredEvent]:
        """Return the aggregate's events with a version above `after_version`, in order."""

    async def load_many(self, aggregate_ids: Sequence[str]) -> dict[str, list[StoredEvent]]:
        """Each aggregate's events, as `load` gives them (for rebuilding many at once).

        This default asks for each, LOADS_AT_ONCE at a time (a store over the network
        answers several at once about as fast as one); adapters that can read many
        streams in one query do.
        """
        gate = asyncio.Semaphore(LOADS_AT_ONCE)

        async def load(aggregate_id: str) -> list[StoredEvent]:
            async with gate:
                return await self.load(aggregate_id)

        loaded = await asyncio.gather(*(load(aggregate_id) for aggregate_id in aggregate_ids))
        return dict(zip(aggregate_ids, loaded, strict=True))

    @abstractmethod
    def aggregate_ids(self) -> AsyncIterator[str]:
        """Yield the id of every aggregate that has at least one event."""

    @abstractmethod
    async def ping(self) -> None:
        """Return once the store has answered a request that reaches its data; raise
        (Unavailable, as a rule) when it cannot be reached or used now. Health checks
        call it every second, so it must be cheap."""

    async def close(self) -> None:
        """Release connections; the store is not used afterwards."""


StoreOne = Callable[[Decision, int], Awaitable[None]]


async def store_one_by_one(
    decisions: Sequence[Decision], expected_version: int, store_one: StoreOne
) -> int:
    """`store_in_turn` for an adapter that stores a decision at a time: `store_one(decision,
    version)` raises ConcurrencyError or RequestAlreadyDecided when it cannot."""
    stored, version = 0, expected_version
    for decision in decisions:
        try:
            await store_one(decision, version)
        except (ConcurrencyError, RequestAlreadyDecided):
            return stored
        stored, version = stored + 1, version + len(decision.events)
    return stored


async def in_chunks(
    ids: AsyncIterator[str], size: int = LOADS_PER_CHUNK
) -> AsyncIterator[list[str]]:
    """`ids` (EventStore.aggregate_ids, say) in lists of `size`, the last one shorter: what a
    tool reading every stream loads at once (load_many) and writes in one transaction."""
    chunk: list[str] = []
    async for aggregate_id in ids:
        chunk.append(aggregate_id)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def stream_of(events: list[StoredEvent], aggregate_type: str) -> list[StoredEvent]:
    """`events` (one stream, as `load` gives it) if the store records them as events of
    `aggregate_type`; else none: an id names one kind of thing, and a stream of another
    kind is, to a reader of this one, no stream at all."""
    if events and events[0].aggregate_type != aggregate_type:
        return []
    return events


def check_contiguous(events_: Sequence[StoredEvent], expected_version: int) -> None:
    """Refuse a batch that is not one aggregate's next versions: a caller's bug, not a conflict."""
    ids = {e.aggregate_id for e in events_}
    versions = [e.version for e in events_]
    wanted = list(range(expected_version + 1, expected_version + 1 + len(events_)))
    if len(ids) > 1 or versions != wanted:
        raise ValueError(f"events must be one aggregate's versions {wanted}, got {versions}")


EventBatchHandler = Callable[[Sequence[StoredEvent]], Awaitable[None]]


class EventBus(ABC):
    """Publishes events that are already safe in the event store."""

    @abstractmethod
    async def publish(self, events: Sequence[StoredEvent]) -> None:
        """Deliver the events, keeping each aggregate's events in version order."""

    async def close(self) -> None:
        """Flush what is pending and release connections."""
