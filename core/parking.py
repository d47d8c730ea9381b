"""Setting aside what a consumer cannot handle, so that it never stops what comes after.

A consumer of the bus (the projection, the transfer process) is handed batches of
events. A batch that fails for a reason no retry mends (anything `is_transient` does not
name) is handed over again an aggregate at a time: the events of an aggregate that still
fails are parked (recorded with the error in ParkedEvents, logged once) and the others
are handled; the batch then counts as delivered. A transient failure is raised, as
Unavailable, for the caller to deliver the batch again later: consumers skip what they
have handled before. (To the outbox a consumer that cannot take events now is a bus
that is away, never a reason to set the events aside.)

An aggregate's later events never overtake a parked one: each consumer reads the
aggregate's events in version order from the event store when the bus hands it one that
does not follow on (the projection fills gaps so, the transfer process reads the whole
transfer), so a later event meets the same failure and is parked behind the first.

Parked events stay parked until an operator asks for them to be tried again (after a
fix, `techbank-admin parked retry`). Each consumer's own process looks for such requests
every few seconds (`retry_forever`) and hands the consumer the aggregate's events, read
from the store from its first parked one on.
"""

import asyncio
import logging
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from core.errors import Unavailable, is_transient
from core.events import StoredEvent, by_aggregate, utc_now

log = logging.getLogger(__name__)

Handle = Callable[[Sequence[StoredEvent]], Awaitable[None]]
LoadEvents = Callable[[str, int], Awaitable[list[StoredEvent]]]  # (id, after version)
MAX_ERROR_LENGTH = 500
MAX_LISTED = 1000
RETRY_LOOK_SECONDS = 2.0


@dataclass(frozen=True)
class ParkedEvent:
    """An event a consumer set aside, and why; `retry_asked` once an operator asked."""

    consumer: str
    event_id: str
    aggregate_id: str
    aggregate_type: str
    version: int
    event_type: str
    error: str
    parked_at: datetime
    retry_asked: bool = False


class ParkedEvents(ABC):
    """Where consumers set aside the events they cannot handle, for operators to see."""

    @abstractmethod
    async def park(
        self, consumer: str, events: Sequence[StoredEvent], error: str, at: datetime
    ) -> None:
        """Record that `consumer` set these events aside, failing with `error`. An event
        it parked before is recorded once: its error and time replaced, a retry asked of
        it forgotten."""

    @abstractmethod
    async def parked(
        self, consumer: str | None = None, *, asked_only: bool = False, limit: int = MAX_LISTED
    ) -> list[ParkedEvent]:
        """Up to `limit` parked events (of `consumer`, or of every consumer; with
        `asked_only`, those whose retry was asked), by consumer, aggregate id and version."""

    @abstractmethod
    async def count(self, consumer: str) -> int:
        """How many events `consumer` has parked now."""

    @abstractmethod
    async def ask_retry(self, consumer: str | None = None, aggregate_id: str | None = None) -> int:
        """Ask that parked events (of `consumer`, of `aggregate_id`, or all) be tried
        again; return how many were asked."""

    @abstractmethod
    async def unpark(self, consumer: str, event_ids: Sequence[str]) -> None:
        """Forget these parked events of `consumer`: it has handled them now."""

    async def close(self) -> None:
        """Release connections; nothing is parked afterwards."""


class ParkingConsumer:
    """`handle`, named `name`, with what fails for good parked in `parked` (see above);
    `load` reads an aggregate's events from the store for a retry."""

    def __init__(
        self,
        name: str,
        handle: Handle,
        parked: ParkedEvents,
        load: LoadEvents,
        *,
        transient: Callable[[BaseException], bool] = is_transient,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.name = name
        self._handle = handle
        self._parked = parked
        self._load = load
        self._transient = transient
        self._clock = clock
        self.parked_now = 0  # as last counted (retry_forever counts it)

    async def __call__(self, events: Sequence[StoredEvent], whole: Handle | None = None) -> None:
        """Hand `events` to the consumer (to `whole`, when given, which may record more
        with them, such as a position), parking what fails for good. After a failure,
        `whole` is handed nothing: what it records beyond the events is recorded then."""
        try:
            await (whole or self._handle)(events)
            return
        except Exception as failure:
            if self._transient(failure):
                raise self._unavailable(failure)  # noqa: B904 (its cause is set)
        await self._one_aggregate_at_a_time(events)
        if whole is not None:
            await whole(())

    async def _one_aggregate_at_a_time(self, events: Sequence[StoredEvent]) -> None:
        transient: Exception | None = None
        for stream in by_aggregate(events):
            try:
                await self._handle(stream)
            except Exception as failure:
                if not self._transient(failure):
                    await self.park(stream, failure)
                elif transient is None:
                    transient = failure
        if transient is not None:  # delivered again later, the handled ones skipped then
            raise self._unavailable(transient)

    def _unavailable(self, failure: Exception) -> Unavailable:
        if isinstance(failure, Unavailable):
            return failure
        unavailable = Unavailable(f"{self.name} cannot handle events now: {failure!r}")
        unavailable.__cause__ = failure
        return unavailable

    async def park(self, stream: Sequence[StoredEvent], failure: Exception) -> None:
        """Set one aggregate's events aside, with `failure` as their error; logged."""
        first = stream[0]
        log.error(
            "%s parked %d event(s) of %s %s from version %d: %r",
            self.name,
            len(stream),
            first.aggregate_type,
            first.aggregate_id,
            first.version,
            failure,
            exc_info=failure,
        )
        error = f"{type(failure).__name__}: {failure}"[:MAX_ERROR_LENGTH]
        await self._parked.park(self.name, stream, error, self._clock())
        self.parked_now = await self._parked.count(self.name)  # one record per event

    async def retry_asked(self) -> int:
        """Hand the consumer again each aggregate whose parked events a retry was asked
        of, from its first parked event on; how many aggregates it handled now."""
        asked = await self._parked.parked(self.name, asked_only=True)
        by_id: dict[str, list[ParkedEvent]] = {}
        for event in asked:
            by_id.setdefault(event.aggregate_id, []).append(event)
        handled = 0
        for aggregate_id, parked in by_id.items():
            first = min(event.version for event in parked)
            stream = await self._load(aggregate_id, first - 1)
            try:
                await self._handle(stream)
            except Exception as failure:
                if not self._transient(failure):  # parked again; a transient one is kept asked
                    await self.park(stream, failure)
                continue
            await self._parked.unpark(self.name, [event.event_id for event in parked])
            log.info("%s handled %s after a retry was asked", self.name, aggregate_id)
            handled += 1
        return handled

    async def retry_forever(self, every: float = RETRY_LOOK_SECONDS) -> None:
        """Every `every` seconds: retry what operators asked to, and count what is parked."""
        while True:
            try:
                await self.retry_asked()
                self.parked_now = await self._parked.count(self.name)
            except Exception as exc:  # the store away: the next look tries again
                log.warning("%s could not look at its parked events: %r", self.name, exc)
            await asyncio.sleep(every)
