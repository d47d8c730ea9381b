"""The contract every ParkedEvents adapter keeps. Subclass it and provide `parked`."""

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from core.parking import ParkedEvent, ParkedEvents
from tests.contract.event_store_contract import event

AT = datetime(2026, 12, 7, 8, 9, 10, 123000, tzinfo=UTC)


class ParkedEventsContract:
    @pytest.fixture
    async def parked(self) -> AsyncIterator[ParkedEvents]:
        raise NotImplementedError("a subclass says how to create its parked events")
        yield  # pragma: no cover

    async def test_parked_events_are_listed_with_their_error_in_order(
        self, parked: ParkedEvents
    ) -> None:
        consumer, b, a = _consumer(), f"{uuid.uuid4()}-b", f"{uuid.uuid4()}-a"
        late, early = event(b, 7), event(b, 6)
        await parked.park(consumer, [late, early], "DecodeError: bad bytes", AT)
        await parked.park(consumer, [event(a, 2)], "TypeError: no", AT)
        listed = await parked.parked(consumer)
        assert [(p.aggregate_id, p.version) for p in listed] == sorted([(b, 7), (b, 6), (a, 2)])
        first_of_b = next(p for p in listed if p.event_id == early.event_id)
        assert first_of_b == ParkedEvent(
            consumer, early.event_id, b, "Thing", 6, "ThingHappened", "DecodeError: bad bytes", AT
        )
        assert await parked.count(consumer) == 3

    async def test_an_event_parked_again_is_one_record_with_the_new_error(
        self, parked: ParkedEvents
    ) -> None:
        consumer, poison = _consumer(), event(str(uuid.uuid4()), 1)
        await parked.park(consumer, [poison], "first", AT)
        await parked.ask_retry(consumer)
        await parked.park(consumer, [poison], "second", AT + timedelta(seconds=1))
        [again] = await parked.parked(consumer)
        assert (again.error, again.parked_at, again.retry_asked) == (
            "second",
            AT + timedelta(seconds=1),
            False,
        )

    async def test_each_consumer_parks_and_unparks_its_own(self, parked: ParkedEvents) -> None:
        projection, transfers, poison = _consumer(), _consumer(), event(str(uuid.uuid4()), 1)
        await parked.park(projection, [poison], "p", AT)
        await parked.park(transfers, [poison], "t", AT)
        await parked.unpark(projection, [poison.event_id])
        assert await parked.parked(projection) == []
        assert [p.error for p in await parked.parked(transfers)] == ["t"]
        mine = [p for p in await parked.parked() if p.consumer in (projection, transfers)]
        assert [p.consumer for p in mine] == [transfers]

    async def test_a_retry_is_asked_of_a_consumer_or_of_one_aggregate(
        self, parked: ParkedEvents
    ) -> None:
        consumer, other = _consumer(), _consumer()
        one, two = str(uuid.uuid4()), str(uuid.uuid4())
        await parked.park(consumer, [event(one, 1), event(one, 2), event(two, 1)], "e", AT)
        await parked.park(other, [event(one, 3)], "e", AT)
        assert await parked.parked(consumer, asked_only=True) == []
        assert await parked.ask_retry(consumer, one) == 2
        asked = await parked.parked(consumer, asked_only=True)
        assert [(p.aggregate_id, p.version, p.retry_asked) for p in asked] == [
            (one, 1, True),
            (one, 2, True),
        ]
        assert await parked.ask_retry(other) == 1
        assert [p.version for p in await parked.parked(other, asked_only=True)] == [3]

    async def test_listing_stops_at_its_limit(self, parked: ParkedEvents) -> None:
        consumer, aggregate_id = _consumer(), str(uuid.uuid4())
        await parked.park(consumer, [event(aggregate_id, v) for v in range(1, 6)], "e", AT)
        assert [p.version for p in await parked.parked(consumer, limit=2)] == [1, 2]


def _consumer() -> str:
    """A consumer of this test's own: some adapters' stores are shared between tests."""
    return f"consumer-{uuid.uuid4().hex[:12]}"
