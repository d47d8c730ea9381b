"""A consumer that parks what fails for good: one bad aggregate never stops the others."""

from collections.abc import Sequence

import pytest

from core.errors import Unavailable
from core.events import StoredEvent
from core.parking import ParkingConsumer
from tests.contract.event_store_contract import append, event, request
from tests.fakes import InMemoryEventStore, InMemoryParkedEvents


class Consumer:
    """Handles every event but those of `poisoned` (failing with `error`)."""

    def __init__(self, poisoned: set[str], error: Exception | None = None) -> None:
        self.poisoned = poisoned
        self.error = error or TypeError("cannot apply this event")
        self.handled: list[StoredEvent] = []
        self.calls = 0

    async def __call__(self, events: Sequence[StoredEvent]) -> None:
        self.calls += 1
        if any(e.aggregate_id in self.poisoned for e in events):
            raise self.error
        self.handled.extend(events)


@pytest.fixture
def store() -> InMemoryEventStore:
    return InMemoryEventStore()


async def stored(store: InMemoryEventStore, aggregate_id: str, count: int) -> list[StoredEvent]:
    events = [event(aggregate_id, v) for v in range(1, count + 1)]
    await append(store, events, 0, request())
    return events


async def test_one_aggregate_failing_for_good_is_parked_and_the_others_handled(
    store: InMemoryEventStore,
) -> None:
    good, bad, other = await stored(store, "good", 2), await stored(store, "bad", 2), []
    other = await stored(store, "other", 1)
    handle, parked = Consumer({"bad"}), InMemoryParkedEvents()
    consumer = ParkingConsumer("projection", handle, parked, store.load)
    await consumer(good + bad + other)  # delivered: the caller moves on
    assert handle.handled == good + other
    listed = await parked.parked("projection")
    assert [(p.aggregate_id, p.version) for p in listed] == [("bad", 1), ("bad", 2)]
    assert listed[0].error == "TypeError: cannot apply this event"
    assert consumer.parked_now == 2


async def test_a_transient_failure_is_raised_for_the_batch_to_come_again(
    store: InMemoryEventStore,
) -> None:
    events = await stored(store, "a", 1) + await stored(store, "b", 1)
    parked = InMemoryParkedEvents()
    consumer = ParkingConsumer("p", Consumer({"a"}, Unavailable("away")), parked, store.load)
    with pytest.raises(Unavailable):
        await consumer(events)
    assert parked.events == {}


async def test_a_transient_failure_of_one_aggregate_still_parks_another_that_fails_for_good(
    store: InMemoryEventStore,
) -> None:
    """The batch comes again for the transient one; what fails for good waits no more.
    (A batch whose first failure is transient is raised at once: most often a store is
    away for every aggregate, and parking waits for a failure that is not.)"""
    events = await stored(store, "bad", 1) + await stored(store, "away", 1)
    handle, parked = Consumer({"bad"}), InMemoryParkedEvents()

    async def flaky(batch: Sequence[StoredEvent]) -> None:
        await handle(batch)
        if any(e.aggregate_id == "away" for e in batch):
            raise Unavailable("the store of this one is away")

    with pytest.raises(Unavailable):
        await ParkingConsumer("p", flaky, parked, store.load)(events)
    assert [p.aggregate_id for p in await parked.parked("p")] == ["bad"]


async def test_what_the_whole_batch_records_beyond_its_events_is_recorded_after_a_failure(
    store: InMemoryEventStore,
) -> None:
    """The projector's batch records its position with its events: after parking, the
    position alone (the whole handed no event), so the batch is not read again."""
    events = await stored(store, "ok", 1) + await stored(store, "bad", 1)
    handle = Consumer({"bad"})
    positions: list[tuple[int, str]] = []

    async def whole(batch: Sequence[StoredEvent]) -> None:
        await handle(batch)
        positions.append((len(batch), "offsets"))

    await ParkingConsumer("p", handle, InMemoryParkedEvents(), store.load)(events, whole)
    assert positions == [(0, "offsets")]
    assert handle.handled == events[:1]


async def test_a_retry_asked_hands_the_aggregate_again_from_its_first_parked_event(
    store: InMemoryEventStore,
) -> None:
    events = await stored(store, "bad", 4)
    handle, parked = Consumer({"bad"}), InMemoryParkedEvents()
    consumer = ParkingConsumer("p", handle, parked, store.load)
    await consumer(events[2:])  # versions 3 and 4 parked
    assert await consumer.retry_asked() == 0  # nobody asked: nothing tried
    handle.poisoned.clear()  # the fix
    await parked.ask_retry("p")
    assert await consumer.retry_asked() == 1
    assert [e.version for e in handle.handled] == [3, 4]  # read from the store
    assert await parked.parked("p") == []


async def test_a_retry_that_fails_again_parks_it_again_unasked(store: InMemoryEventStore) -> None:
    events = await stored(store, "bad", 1)
    handle, parked = Consumer({"bad"}, ValueError("still broken")), InMemoryParkedEvents()
    consumer = ParkingConsumer("p", handle, parked, store.load)
    await consumer(events)
    await parked.ask_retry("p")
    assert await consumer.retry_asked() == 0
    [again] = await parked.parked("p")
    assert (again.error, again.retry_asked) == ("ValueError: still broken", False)
