"""Applies account events to the read model exactly once, in version order.

Each row keeps the version last applied (see bank.read_model): an event at or
below it is a duplicate and is skipped; one further ahead means events were missed,
and those are read back from the event store, then the batch is applied again. A
batch, with the position it was read up to, is one transaction.
"""

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from datetime import UTC, datetime

from adapters.telemetry.metrics import PROJECTED, PROJECTOR_LAG_SECONDS
from adapters.telemetry.tracing import batch_span
from bank.read_model import Position, ReadModel
from bank.read_rows import account_events
from core.event_store import in_chunks
from core.events import StoredEvent

log = logging.getLogger(__name__)

LoadEvents = Callable[[str, int], Awaitable[list[StoredEvent]]]
Handle = Callable[[Sequence[StoredEvent]], Awaitable[None]]
PROJECTION = "projection"  # the projection's name as a consumer of the bus (core.parking)
# A batch meets a gap once per missed stretch; more rounds mean the rows keep moving back.
MAX_ROUNDS = 5


class AccountProjection:
    def __init__(self, read_model: ReadModel, load_events: LoadEvents) -> None:
        self._read_model = read_model
        self._load_events = load_events

    async def handle(self, events: Sequence[StoredEvent], position: Position | None = None) -> None:
        """Apply a batch of events, and record `position`, in one transaction; traced as
        part of the commands' traces (adapters.telemetry.tracing) and measured."""
        with batch_span("project events", events):
            await self._apply(events, position)
        if events:
            PROJECTED.inc(len(events))
            newest = max(event.occurred_at for event in events)
            PROJECTOR_LAG_SECONDS.set((datetime.now(UTC) - newest).total_seconds())

    async def _apply(self, events: Sequence[StoredEvent], position: Position | None) -> None:
        pending = by_account(events)
        for _ in range(MAX_ROUNDS):
            gaps = await self._read_model.apply(pending, position)
            if not gaps:
                return
            for account_id, version in gaps.items():
                log.warning("gap in %s after version %d; reading the store", account_id, version)
                stored = await self._load_events(account_id, version)
                pending[account_id] = merged(stored, pending[account_id])
        raise RuntimeError(f"the read model kept missing events of {sorted(gaps)}")

    async def catch_up(
        self, aggregate_ids: AsyncIterator[str], handle: Handle | None = None
    ) -> int:
        """Apply whatever the event store has beyond the read model, through `handle` (the
        projection's consumer, say, which parks what fails for good; by default `handle`
        itself); return how many events were handed over."""
        applied = 0
        async for chunk in in_chunks(aggregate_ids):
            applied += await self._catch_up(chunk, handle or self.handle)
        return applied

    async def _catch_up(self, account_ids: list[str], handle: Handle) -> int:
        versions = await self._read_model.versions(account_ids)
        loaded = [e for a in account_ids for e in await self._load_events(a, versions.get(a, 0))]
        missing = account_events(loaded)  # a transfer's stream is read, and left out
        if missing:
            await handle(missing)
        return len(missing)


def by_account(events: Iterable[StoredEvent]) -> dict[str, list[StoredEvent]]:
    """Each account's events, once each, in version order (a transfer's are left out)."""
    grouped: dict[str, dict[int, StoredEvent]] = {}
    for event in account_events(events):
        grouped.setdefault(event.aggregate_id, {})[event.version] = event
    return {a: [versions[v] for v in sorted(versions)] for a, versions in grouped.items()}


def merged(*streams: Iterable[StoredEvent]) -> list[StoredEvent]:
    """One account's events from several sources, once each, in version order."""
    versions = {event.version: event for stream in streams for event in stream}
    return [versions[v] for v in sorted(versions)]
