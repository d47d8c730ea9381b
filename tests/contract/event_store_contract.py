"""The contract every EventStore adapter must keep. Subclass it and provide `store`."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from core.errors import ConcurrencyError
from core.event_store import EventStore
from core.events import StoredEvent

AT = datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)


def event(
    aggregate_id: str,
    version: int,
    payload: bytes = b"\x00\x01data",
    request_id: str | None = None,
    at: datetime = AT,
) -> StoredEvent:
    return StoredEvent(
        event_id=str(uuid.uuid4()),
        aggregate_id=aggregate_id,
        aggregate_type="Thing",
        version=version,
        event_type="ThingHappened",
        occurred_at=at,
        request_id=request_id or f"req-{uuid.uuid4()}",
        payload=payload,
        request_fingerprint="f" * 64,
    )


class EventStoreContract:
    @pytest.fixture
    async def store(self) -> AsyncIterator[EventStore]:
        raise NotImplementedError("a subclass says how to create its store")
        yield  # pragma: no cover

    async def test_appended_events_load_back_equal_and_in_order(self, store: EventStore) -> None:
        aggregate_id = str(uuid.uuid4())
        written = [event(aggregate_id, v, payload=bytes([v, 0, 255])) for v in (1, 2, 3)]
        await store.append(written[:1], expected_version=0)
        await store.append(written[1:], expected_version=1)
        assert await store.load(aggregate_id) == written

    async def test_load_after_version_returns_only_later_events(self, store: EventStore) -> None:
        aggregate_id = str(uuid.uuid4())
        written = [event(aggregate_id, v) for v in (1, 2, 3)]
        await store.append(written, expected_version=0)
        assert await store.load(aggregate_id, after_version=2) == written[2:]

    async def test_unknown_aggregate_has_no_events(self, store: EventStore) -> None:
        assert await store.load(str(uuid.uuid4())) == []

    async def test_stale_expected_version_raises_concurrency_error(self, store: EventStore) -> None:
        aggregate_id = str(uuid.uuid4())
        await store.append([event(aggregate_id, 1), event(aggregate_id, 2)], expected_version=0)
        with pytest.raises(ConcurrencyError):
            await store.append([event(aggregate_id, 2)], expected_version=1)
        assert [e.version for e in await store.load(aggregate_id)] == [1, 2]

    async def test_second_creation_of_same_aggregate_conflicts(self, store: EventStore) -> None:
        aggregate_id = str(uuid.uuid4())
        await store.append([event(aggregate_id, 1)], expected_version=0)
        with pytest.raises(ConcurrencyError):
            await store.append([event(aggregate_id, 1)], expected_version=0)

    async def test_of_racing_writers_exactly_one_wins(self, store: EventStore) -> None:
        aggregate_id = str(uuid.uuid4())
        await store.append([event(aggregate_id, 1)], expected_version=0)
        racers = [store.append([event(aggregate_id, 2)], expected_version=1) for _ in range(10)]
        results = await asyncio.gather(*racers, return_exceptions=True)
        assert sum(r is None for r in results) == 1
        assert all(isinstance(r, ConcurrencyError) for r in results if r is not None)
        assert len(await store.load(aggregate_id)) == 2

    async def test_streams_are_independent(self, store: EventStore) -> None:
        first, second = str(uuid.uuid4()), str(uuid.uuid4())
        await store.append([event(first, 1)], expected_version=0)
        await store.append([event(second, 1)], expected_version=0)
        assert [e.aggregate_id for e in await store.load(second)] == [second]

    async def test_non_consecutive_versions_are_refused(self, store: EventStore) -> None:
        aggregate_id = str(uuid.uuid4())
        with pytest.raises(ValueError, match="versions"):
            await store.append([event(aggregate_id, 2)], expected_version=0)
        assert await store.load(aggregate_id) == []

    async def test_aggregate_ids_lists_every_stream_once(self, store: EventStore) -> None:
        ids = [str(uuid.uuid4()) for _ in range(3)]
        for aggregate_id in ids:
            await store.append([event(aggregate_id, 1), event(aggregate_id, 2)], 0)
        listed = [i async for i in store.aggregate_ids()]
        assert sorted(i for i in listed if i in ids) == sorted(ids)
        assert len(listed) == len(set(listed))

    async def test_events_are_found_by_the_request_that_caused_them(
        self, store: EventStore
    ) -> None:
        aggregate_id, request_id = str(uuid.uuid4()), str(uuid.uuid4())
        await store.append([event(aggregate_id, 1)], expected_version=0)
        caused = [
            event(aggregate_id, 2, request_id=request_id),
            event(aggregate_id, 3, request_id=request_id),
        ]
        await store.append(caused, expected_version=1)
        assert await store.find_by_request(request_id) == caused
        assert await store.find_by_request(str(uuid.uuid4())) == []

    async def test_appended_events_wait_in_the_outbox_until_marked_published(
        self, store: EventStore
    ) -> None:
        aggregate_id = str(uuid.uuid4())
        now = datetime.now(UTC).replace(microsecond=0)
        written = [event(aggregate_id, v, at=now - timedelta(minutes=1)) for v in (1, 2, 3)]
        await store.append(written, expected_version=0)
        mine = await self._unpublished_of(store, aggregate_id, now)
        assert mine == written
        await store.mark_published([written[0].event_id, written[1].event_id])
        await store.mark_published([written[0].event_id])
        assert await self._unpublished_of(store, aggregate_id, now) == written[2:]

    async def test_the_outbox_holds_back_events_newer_than_asked(self, store: EventStore) -> None:
        aggregate_id = str(uuid.uuid4())
        now = datetime.now(UTC).replace(microsecond=0)
        await store.append([event(aggregate_id, 1, at=now)], expected_version=0)
        assert await self._unpublished_of(store, aggregate_id, now - timedelta(seconds=1)) == []

    @staticmethod
    async def _unpublished_of(
        store: EventStore, aggregate_id: str, before: datetime
    ) -> list[StoredEvent]:
        # Other tests share some stores: keep only this test's aggregate.
        waiting = await store.unpublished(before, limit=10_000)
        return [e for e in waiting if e.aggregate_id == aggregate_id]
