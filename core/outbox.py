"""Gets every stored event onto the bus, however the first attempt went.

Commands append events to the store (unpublished) and hand them to `enqueue`, which
returns at once: a slow or absent bus never slows or fails a command whose events
are safe. A background task publishes them in order and marks them published. What
it could not publish, and what a process killed before publishing left behind, the
sweep finds in the store and publishes again. The bus may therefore see an event
twice; consumers skip what they have already applied.

`headers_of`, when given, is asked at `enqueue` for headers to send with the events (the
caller's trace context, say); the sweep, running later and elsewhere, sends none.

What the bus refuses for good (an event it cannot encode, say) is parked, when the
outbox is given `parked` (core.parking, as the consumer "outbox"): recorded with the
error and marked published, so the sweep stops trying it; a retry an operator asks for
publishes the aggregate's events again from the parked one on.
"""

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

from core.errors import Unavailable, is_transient
from core.event_store import EventBus, EventStore
from core.events import StoredEvent, by_aggregate
from core.parking import ParkedEvents, ParkingConsumer

log = logging.getLogger(__name__)

MAX_QUEUED = 10_000
BATCH = 500
OUTBOX = "outbox"  # its name as a consumer that parks (core.parking)
Headers = tuple[tuple[str, str], ...]


@dataclasses.dataclass
class OutboxCounts:
    """What the outbox has done since it started, for metrics."""

    swept: int = 0  # events the sweep found unpublished and published
    failed_publishes: int = 0  # publishes that failed (their events are swept later)


class Outbox:
    def __init__(
        self,
        store: EventStore,
        bus: EventBus,
        *,
        sweep_every: float = 1.0,
        sweep_grace: timedelta = timedelta(seconds=3),
        headers_of: Callable[[], Headers] | None = None,
        parked: ParkedEvents | None = None,
    ) -> None:
        self._store = store
        self._bus = bus
        self.parking = ParkingConsumer(OUTBOX, bus.publish, parked, store.load) if parked else None
        self._headers_of = headers_of
        self.counts = OutboxCounts()
        self._sweep_every = sweep_every
        self._sweep_grace = sweep_grace
        self._queue: asyncio.Queue[StoredEvent] = asyncio.Queue(MAX_QUEUED)
        self._stuck: set[str] = set()  # aggregates the bus refused at the last sweep
        self._tasks: list[asyncio.Task[None]] = []

    def enqueue(self, events: Sequence[StoredEvent]) -> None:
        """Queue stored events for publication; a full queue leaves them to the sweep."""
        headers = self._headers_of() if self._headers_of else ()
        if headers:
            events = [dataclasses.replace(event, headers=headers) for event in events]
        for event in events:
            try:
                self._queue.put_nowait(event)
            except asyncio.QueueFull:
                return

    def queued(self) -> int:
        """How many events wait in the queue now."""
        return self._queue.qsize()

    async def start(self) -> None:
        """Publish what earlier processes left unpublished, then keep publishing."""
        try:
            await self.sweep(grace=timedelta(0))
        except Exception:
            log.warning("outbox sweep at start failed; retrying in the background", exc_info=True)
        self._tasks = [
            asyncio.create_task(self._publish_queued()),
            asyncio.create_task(self._sweep_forever()),
        ]
        if self.parking is not None:
            self._tasks.append(asyncio.create_task(self.parking.retry_forever()))

    async def sweep(self, grace: timedelta | None = None) -> int:
        """Publish events left unpublished for longer than `grace`; return how many.

        The sweep walks the outbox once, a page at a time. A page the bus refuses is
        published an aggregate at a time: an aggregate that still fails waits for the
        next sweep (its later events with it: each aggregate's stay in order), or is
        parked if it fails for good, and the walk goes on past it. The bus being away
        (Unavailable) ends the walk: nothing else could pass now either.
        """
        older_than = datetime.now(UTC) - (self._sweep_grace if grace is None else grace)
        swept, after, waiting = 0, None, set[str]()
        while events := await self._store.unpublished(older_than, BATCH, after):
            after = (events[-1].aggregate_id, events[-1].version)
            ready = [event for event in events if event.aggregate_id not in waiting]
            published, failed = await self._publish_past_failures(ready)
            swept, waiting = swept + published, waiting | failed
            self.counts.swept += published
        self._forget_stuck_except(waiting)
        if swept:
            log.info("outbox sweep published %d events left unpublished", swept)
        return swept

    async def _publish_past_failures(self, events: list[StoredEvent]) -> tuple[int, set[str]]:
        """Publish `events`, an aggregate at a time if the bus refuses them together; how
        many were published, and the aggregates whose events were not."""
        if not events:
            return 0, set()
        try:
            await self._publish(events)
            return len(events), set()
        except Unavailable:
            raise
        except Exception:
            self.counts.failed_publishes += 1
        published, failed = 0, set()
        for stream in by_aggregate(events):
            try:
                await self._publish(stream)
                published += len(stream)
            except Unavailable:
                raise
            except Exception as failure:
                self.counts.failed_publishes += 1
                if self.parking is not None and not is_transient(failure):
                    await self._set_aside(stream, failure)
                    continue
                failed.add(stream[0].aggregate_id)
                self._report_stuck(stream[0], failure)
        return published, failed

    async def _set_aside(self, stream: list[StoredEvent], failure: Exception) -> None:
        """Park what the bus refuses for good, and take it out of the outbox."""
        assert self.parking is not None
        await self.parking.park(stream, failure)
        await self._store.mark_published([event.event_id for event in stream])

    def _report_stuck(self, first: StoredEvent, failure: Exception) -> None:
        """Log an aggregate the bus refuses once, not at every sweep."""
        if first.aggregate_id not in self._stuck:
            self._stuck.add(first.aggregate_id)
            log.error(
                "the bus refuses the events of %s from version %d (%r); the sweep steps "
                "past them and tries them again at every sweep",
                first.aggregate_id,
                first.version,
                failure,
            )

    def _forget_stuck_except(self, waiting: set[str]) -> None:
        for aggregate_id in self._stuck - waiting:
            log.info("the bus took the events of %s at last", aggregate_id)
        self._stuck &= waiting

    async def close(self, drain_timeout: float = 5.0) -> None:
        """Try to publish what is queued, then stop; the rest stays for the next sweep."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._queue.join(), drain_timeout)
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _publish(self, events: Sequence[StoredEvent]) -> None:
        await self._bus.publish(events)
        await self._store.mark_published([e.event_id for e in events])

    async def _publish_queued(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < BATCH and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                await self._publish_past_failures(batch)  # what fails waits for the sweep
            except Exception:
                self.counts.failed_publishes += 1
                log.warning(
                    "could not publish %d events; the sweep will retry", len(batch), exc_info=True
                )
                await asyncio.sleep(self._sweep_every)
            finally:
                for _ in batch:
                    self._queue.task_done()

    async def _sweep_forever(self) -> None:
        while True:
            await asyncio.sleep(self._sweep_every)
            try:
                await self.sweep()
            except Exception:
                log.warning(
                    "outbox sweep failed; retrying in %.0f s", self._sweep_every, exc_info=True
                )
