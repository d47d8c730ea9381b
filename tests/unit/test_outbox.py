"""The outbox's sweep: what a bus refuses waits, in order, and stops nothing else."""

import logging
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from core.errors import Unavailable
from core.event_store import EventBus
from core.events import StoredEvent
from core.outbox import BATCH, Outbox
from tests.contract.event_store_contract import append, event, request
from tests.fakes import InMemoryEventStore

AN_HOUR_AGO = datetime.now(UTC) - timedelta(hours=1)


class PickyBus(EventBus):
    """Refuses every publish holding an event of `refused` (with `error`); keeps the rest."""

    def __init__(self, refused: set[str], error: Exception | None = None) -> None:
        self.refused = refused
        self.error = error or ValueError("this event cannot be sent")
        self.got: list[StoredEvent] = []

    async def publish(self, events: Sequence[StoredEvent]) -> None:
        if any(e.aggregate_id in self.refused for e in events):
            raise self.error
        self.got.extend(events)


async def stored(store: InMemoryEventStore, streams: dict[str, int]) -> list[StoredEvent]:
    """Each of `streams` with that many events, stored an hour ago, unpublished."""
    written = []
    for aggregate_id, count in streams.items():
        events = [event(aggregate_id, v, at=AN_HOUR_AGO) for v in range(1, count + 1)]
        await append(store, events, 0, request())
        written += events
    return written


async def test_the_sweep_steps_past_an_aggregate_the_bus_refuses() -> None:
    """The refused aggregate sits first in the outbox, with more than a page of events:
    every other aggregate is published all the same, and the refused one's events wait,
    none of them published out of order."""
    store = InMemoryEventStore()
    written = await stored(store, {"a-refused": BATCH + 20, "b": 3, "c": 2 * BATCH})
    bus = PickyBus({"a-refused"})
    outbox = Outbox(store, bus)
    assert await outbox.sweep(grace=timedelta(0)) == 3 + 2 * BATCH
    assert {e.aggregate_id for e in bus.got} == {"b", "c"}
    assert [e.version for e in bus.got if e.aggregate_id == "c"] == list(range(1, 2 * BATCH + 1))
    waiting = await store.unpublished(datetime.now(UTC), 10 * BATCH)
    assert waiting == [e for e in written if e.aggregate_id == "a-refused"]

    bus.refused.clear()  # the bus takes them now: the next sweep publishes them, in order
    assert await outbox.sweep(grace=timedelta(0)) == BATCH + 20
    assert [e.version for e in bus.got if e.aggregate_id == "a-refused"] == list(
        range(1, BATCH + 21)
    )
    assert await store.unpublished(datetime.now(UTC), 10) == []


async def test_an_aggregate_the_bus_refuses_is_logged_once_not_at_every_sweep(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = InMemoryEventStore()
    await stored(store, {"refused": 1, "fine": 1})
    outbox = Outbox(store, PickyBus({"refused"}))
    with caplog.at_level(logging.INFO, logger="core.outbox"):
        for _ in range(5):
            await outbox.sweep(grace=timedelta(0))
    refusals = [r for r in caplog.records if "refuses the events of refused" in r.message]
    assert len(refusals) == 1


async def test_the_bus_away_ends_the_sweep_and_marks_nothing() -> None:
    """Unavailable is the bus's, not an event's: nothing else could pass either."""
    store = InMemoryEventStore()
    written = await stored(store, {"a": 2, "b": 2})
    bus = PickyBus({"a", "b"}, Unavailable("the bus is away"))
    with pytest.raises(Unavailable):
        await Outbox(store, bus).sweep(grace=timedelta(0))
    assert await store.unpublished(datetime.now(UTC), 10) == written
