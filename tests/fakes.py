"""Hand-written fakes of the core's ports, for fast unit tests.

The in-memory event store and parked events pass the same contract suites as the real
adapters (tests/contract/test_event_store_*.py, test_parked_events_*.py), so tests that
use them can trust them.
"""

import asyncio
import dataclasses
from collections import defaultdict
from collections.abc import AsyncIterator, Sequence
from datetime import datetime

from core.aggregate import Snapshot
from core.errors import ConcurrencyError
from core.event_store import (
    EventBus,
    EventStore,
    OutboxPosition,
    check_contiguous,
    store_one_by_one,
)
from core.events import StoredEvent
from core.parking import MAX_LISTED, ParkedEvent, ParkedEvents
from core.requests import Decision, Outcome, Refusal, Request, RequestAlreadyDecided


class InMemoryEventStore(EventStore):
    def __init__(self) -> None:
        self.streams: dict[str, list[StoredEvent]] = defaultdict(list)
        self.published: set[str] = set()
        self.outcomes: dict[str, Outcome] = {}
        self.snapshots: dict[str, Snapshot] = {}

    async def store_in_turn(self, decisions: Sequence[Decision], expected_version: int) -> int:
        return await store_one_by_one(decisions, expected_version, self._store_one)

    async def _store_one(self, decision: Decision, version: int) -> None:
        if decision.refusal is not None:
            await self._record_refusal(
                decision.request, decision.aggregate_id, decision.version, decision.refusal
            )
        else:
            await self._append(decision.events, version, decision.request)

    async def _append(
        self, events: Sequence[StoredEvent], expected_version: int, request: Request
    ) -> None:
        if not events:
            return
        check_contiguous(events, expected_version)
        await asyncio.sleep(0)  # yield like real I/O, so concurrent commands interleave
        if request.key in self.outcomes:
            raise RequestAlreadyDecided(request.key)
        stream = self.streams.get(events[0].aggregate_id, [])
        if len(stream) != expected_version:
            raise ConcurrencyError(f"stream is at {len(stream)}, not {expected_version}")
        self.streams[events[0].aggregate_id] = [*stream, *events]
        self.outcomes[request.key] = Outcome(
            request.fingerprint, events[-1].aggregate_id, events[-1].version
        )

    async def _record_refusal(
        self, request: Request, aggregate_id: str, version: int, refusal: Refusal
    ) -> None:
        if request.key in self.outcomes:
            raise RequestAlreadyDecided(request.key)
        self.outcomes[request.key] = Outcome(request.fingerprint, aggregate_id, version, refusal)

    async def outcome(self, request_key: str) -> Outcome | None:
        await asyncio.sleep(0)
        return self.outcomes.get(request_key)

    async def load(self, aggregate_id: str, after_version: int = 0) -> list[StoredEvent]:
        events = [e for e in self.streams.get(aggregate_id, []) if e.version > after_version]
        await asyncio.sleep(0)  # yield like real I/O, so concurrent commands interleave
        return events

    async def ping(self) -> None:
        await asyncio.sleep(0)

    async def save_snapshot(self, snapshot: Snapshot) -> None:
        kept = self.snapshots.get(snapshot.aggregate_id)
        if kept is None or kept.version < snapshot.version:
            self.snapshots[snapshot.aggregate_id] = snapshot

    async def load_snapshot(self, aggregate_id: str) -> Snapshot | None:
        await asyncio.sleep(0)
        return self.snapshots.get(aggregate_id)

    async def aggregate_ids(self) -> AsyncIterator[str]:
        for aggregate_id in list(self.streams):
            yield aggregate_id

    async def unpublished(
        self, older_than: datetime, limit: int, after: OutboxPosition | None = None
    ) -> list[StoredEvent]:
        waiting = [e for e in self._all() if e.event_id not in self.published]
        waiting.sort(key=lambda e: (e.aggregate_id, e.version))
        start = after or ("", 0)
        waiting = [e for e in waiting if (e.aggregate_id, e.version) > start]
        return [e for e in waiting if e.occurred_at < older_than][:limit]

    async def mark_published(self, event_ids: Sequence[str]) -> None:
        self.published.update(event_ids)

    def _all(self) -> list[StoredEvent]:
        return [e for stream in self.streams.values() for e in stream]


class RecordingEventBus(EventBus):
    def __init__(self) -> None:
        self.published: list[StoredEvent] = []

    async def publish(self, events: Sequence[StoredEvent]) -> None:
        self.published.extend(events)


class InMemoryParkedEvents(ParkedEvents):
    def __init__(self) -> None:
        self.events: dict[tuple[str, str], ParkedEvent] = {}

    async def park(
        self, consumer: str, events: Sequence[StoredEvent], error: str, at: datetime
    ) -> None:
        for e in events:
            self.events[consumer, e.event_id] = ParkedEvent(
                consumer, e.event_id, e.aggregate_id, e.aggregate_type, e.version,
                e.event_type, error, at,
            )  # fmt: skip

    async def parked(
        self, consumer: str | None = None, *, asked_only: bool = False, limit: int = MAX_LISTED
    ) -> list[ParkedEvent]:
        found = [
            p
            for p in self.events.values()
            if consumer in (None, p.consumer) and (p.retry_asked or not asked_only)
        ]
        return sorted(found, key=lambda p: (p.consumer, p.aggregate_id, p.version))[:limit]

    async def count(self, consumer: str) -> int:
        return len(await self.parked(consumer, limit=len(self.events)))

    async def ask_retry(self, consumer: str | None = None, aggregate_id: str | None = None) -> int:
        asked = [
            key
            for key, p in self.events.items()
            if consumer in (None, p.consumer) and aggregate_id in (None, p.aggregate_id)
        ]
        for key in asked:
            self.events[key] = dataclasses.replace(self.events[key], retry_asked=True)
        return len(asked)

    async def unpark(self, consumer: str, event_ids: Sequence[str]) -> None:
        for event_id in event_ids:
            self.events.pop((consumer, event_id), None)
