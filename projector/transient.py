"""Retrying read-database transactions that lost a race or found a store down.

Two writers of one account row (the projector and a restore, or two projector
instances during a rebalance) can meet as a deadlock, a lock timeout or a
duplicate insert. Every write is version-checked, so running the loser again is
safe: it skips what the winner already applied. The same holds while the read
database or the event store is down: the projector waits for it to come back,
and stops waiting as soon as it is asked to stop. `batch_writer` is what the Kafka
projector does with each batch of events it consumes.
"""

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable, Sequence
from functools import partial
from typing import TypeVar

from sqlalchemy.exc import IntegrityError

from adapters.faults import pause_inside_batch
from adapters.kafka.consumer import StopConsuming, StoreBatch
from adapters.sql.errors import is_unavailable
from adapters.telemetry.metrics import STORE_ERRORS
from bank.read_model import Position
from core.errors import is_transient as core_is_transient
from core.events import StoredEvent
from core.parking import ParkingConsumer
from projector.projection import AccountProjection

log = logging.getLogger(__name__)
T = TypeVar("T")
MAX_PAUSE_SECONDS = 2.0


class Stopped(Exception):
    """A stop was requested while waiting to try again; the attempt's work was not done."""


def is_transient(error: BaseException) -> bool:
    """The core's transient failures, and the read database's (a lost race, an outage)."""
    return core_is_transient(error) or isinstance(error, IntegrityError) or is_unavailable(error)


async def retry_transient(
    attempt: Callable[[], Awaitable[T]],
    attempts: int | None = 8,
    stop: asyncio.Event | None = None,
) -> T:
    """Run `attempt` until it succeeds, pausing longer each time; give up after `attempts`
    (None: never, for a long-running consumer that must outlast an outage), or raise
    Stopped when `stop` is set while it waits."""
    tries = 0
    while True:
        try:
            return await attempt()
        except Exception as exc:
            tries += 1
            if not is_transient(exc) or (attempts is not None and tries >= attempts):
                raise
            if not isinstance(exc, IntegrityError):  # a lost race, not an outage
                STORE_ERRORS.labels("projector").inc()
            pause = min(random.uniform(0.01, 0.05) * 2**tries, MAX_PAUSE_SECONDS)
            log.warning("transaction failed (%s); retry %d in %.2f s", _reason(exc), tries, pause)
            if await _stopped_within(stop, pause):
                raise Stopped from exc


async def _stopped_within(stop: asyncio.Event | None, seconds: float) -> bool:
    if stop is None:
        await asyncio.sleep(seconds)
        return False
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
    return stop.is_set()


def _reason(exc: Exception) -> str:
    origin = getattr(exc, "orig", None)
    return type(origin or exc).__name__


def batch_writer(
    projection: AccountProjection,
    consumer: ParkingConsumer,
    topic: str,
    stop: asyncio.Event,
    pause_seconds: float = 0.0,
) -> StoreBatch:
    """A batch handler that stores the events' effects and the offsets in one transaction,
    trying again for as long as its stores are down, until `stop` is set. An account the
    projection fails on for good is parked by `consumer` (its events' effects are then
    stored an account at a time, and the offsets after them), so the partition goes on."""

    async def store_batch(events: Sequence[StoredEvent], offsets: dict[int, int]) -> None:
        position = Position(topic, offsets)

        async def attempt() -> None:
            await pause_inside_batch(pause_seconds)  # a fault seam: 0 but in tests
            await consumer(events, partial(projection.handle, position=position))

        try:
            await retry_transient(attempt, attempts=None, stop=stop)
        except Stopped as stopped:
            raise StopConsuming from stopped

    return store_batch
