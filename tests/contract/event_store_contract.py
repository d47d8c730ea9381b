"""The contract every EventStore adapter must keep.
Subclass it and provide `store`."""

import asyncio
import dataclasses
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from core.aggregate import Snapshot
from core.errors import ConcurrencyError
from core.event_store import EventStore
from core.events import StoredEvent
from core.requests import (
    Decision,
    Outcome,
    Refusal,
    Request,
    RequestAlreadyDecided,
    store_decision,
)

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
    )


def request(request_id: str | None = None, content: str = "f", client: str = "") -> Request:
    """A request whose fingerprint stands for its content."""
    return Request(request_id or str(uuid.uuid4()), content * 64, client)


async def append(
    store: EventStore, events: list[StoredEvent], expected: int, made: Request | None = None
) -> None:
    """Store `events` after `expected` as the effect of `made` (a new request by default):
    a turn of one, raising ConcurrencyError or RequestAlreadyDecided as store_decision."""
    if events:
        decision = Decision(made or request(), events[0].aggregate_id, expected + len(events))
        decision = dataclasses.replace(decision, events=tuple(events))
        await store_decision(store, decision, expected)


async def refuse(
    store: EventStore, made: Request, aggregate_id: str, version: int, refusal: Refusal
) -> None:
    """Record `made`'s refusal on `aggregate_id` at `version`: a turn of one."""
    await store_decision(store, Decision(made, aggregate_id, version, refusal=refusal), version)


async def unpublished_of(
    store: EventStore, aggregate_id: str, before: datetime
) -> list[StoredEvent]:
    # Other tests share some stores: keep only this test's aggregate.
    waiting = await store.unpublished(before, limit=10_000)
    return [e for e in waiting if e.aggregate_id == aggregate_id]


class StreamsContract:
    """The streams and their one write (EventStore.store_in_turn, load, aggregate_ids).
    Subclass it and provide `store`."""

    @pytest.fixture
    async def store(self) -> AsyncIterator[EventStore]:
        raise NotImplementedError("a subclass says how to create its store")
        yield  # pragma: no cover

    async def test_appended_events_load_back_equal_and_in_order(self, store: EventStore) -> None:
        aggregate_id = str(uuid.uuid4())
        written = [event(aggregate_id, v, payload=bytes([v, 0, 255])) for v in (1, 2, 3)]
        await append(store, written[:1], 0)
        await append(store, written[1:], 1)
        assert await store.load(aggregate_id) == written

    async def test_load_after_version_returns_only_later_events(self, store: EventStore) -> None:
        aggregate_id = str(uuid.uuid4())
        written = [event(aggregate_id, v) for v in (1, 2, 3)]
        await append(store, written, 0)
        assert await store.load(aggregate_id, after_version=2) == written[2:]

    async def test_unknown_aggregate_has_no_events(self, store: EventStore) -> None:
        assert await store.load(str(uuid.uuid4())) == []

    async def test_stale_expected_version_raises_concurrency_error(self, store: EventStore) -> None:
        aggregate_id = str(uuid.uuid4())
        await append(store, [event(aggregate_id, 1), event(aggregate_id, 2)], 0)
        with pytest.raises(ConcurrencyError):
            await append(store, [event(aggregate_id, 2)], 1)
        assert [e.version for e in await store.load(aggregate_id)] == [1, 2]

    async def test_second_creation_of_same_aggregate_conflicts(self, store: EventStore) -> None:
        aggregate_id = str(uuid.uuid4())
        await append(store, [event(aggregate_id, 1)], 0)
        with pytest.raises(ConcurrencyError):
            await append(store, [event(aggregate_id, 1)], 0)

    async def test_of_racing_writers_exactly_one_wins(self, store: EventStore) -> None:
        aggregate_id = str(uuid.uuid4())
        await append(store, [event(aggregate_id, 1)], 0)
        racers = [append(store, [event(aggregate_id, 2)], 1) for _ in range(10)]
        results = await asyncio.gather(*racers, return_exceptions=True)
        assert sum(r is None for r in results) == 1
        assert all(isinstance(r, ConcurrencyError) for r in results if r is not None)
        assert len(await store.load(aggregate_id)) == 2

    async def test_streams_are_independent(self, store: EventStore) -> None:
        first, second = str(uuid.uuid4()), str(uuid.uuid4())
        await append(store, [event(first, 1)], 0)
        await append(store, [event(second, 1)], 0)
        assert [e.aggregate_id for e in await store.load(second)] == [second]

    async def test_non_consecutive_versions_are_refused(self, store: EventStore) -> None:
        aggregate_id = str(uuid.uuid4())
        with pytest.raises(ValueError, match="versions"):
            await append(store, [event(aggregate_id, 2)], 0)
        assert await store.load(aggregate_id) == []

    async def test_aggregate_ids_lists_every_stream_once(self, store: EventStore) -> None:
        ids = [str(uuid.uuid4()) for _ in range(3)]
        for aggregate_id in ids:
            await append(store, [event(aggregate_id, 1), event(aggregate_id, 2)], 0)
        listed = [i async for i in store.aggregate_ids()]
        assert sorted(i for i in listed if i in ids) == sorted(ids)
        assert len(listed) == len(set(listed))

    async def test_decisions_in_turn_are_stored_in_order_refusals_included(
        self, store: EventStore
    ) -> None:
        aggregate_id = str(uuid.uuid4())
        await append(store, [event(aggregate_id, 1)], 0)
        refused = request()
        decisions = [
            Decision(request(), aggregate_id, 2, (event(aggregate_id, 2),)),
            Decision(refused, aggregate_id, 2, refusal=Refusal("RuleViolation", "no")),
            Decision(request(), aggregate_id, 3, (event(aggregate_id, 3),)),
        ]
        assert await store.store_in_turn(decisions, 1) == 3
        assert [e.version for e in await store.load(aggregate_id)] == [1, 2, 3]
        outcome = await store.outcome(refused.key)
        assert outcome is not None and outcome.refusal == Refusal("RuleViolation", "no")
        last = await store.outcome(decisions[2].request.key)
        assert last == Outcome("f" * 64, aggregate_id, 3)

    async def test_decisions_in_turn_stop_at_the_first_that_cannot_be_stored(
        self, store: EventStore
    ) -> None:
        aggregate_id, taken = str(uuid.uuid4()), request()
        await append(store, [event(aggregate_id, 1)], 0)
        await refuse(store, taken, aggregate_id, 1, Refusal("NotFound", "x"))
        decisions = [
            Decision(request(), aggregate_id, 2, (event(aggregate_id, 2),)),
            Decision(taken, aggregate_id, 3, (event(aggregate_id, 3),)),  # decided before
            Decision(request(), aggregate_id, 4, (event(aggregate_id, 4),)),
        ]
        assert await store.store_in_turn(decisions, 1) == 1
        assert [e.version for e in await store.load(aggregate_id)] == [1, 2]
        assert await store.outcome(decisions[2].request.key) is None
        stale = [Decision(request(), aggregate_id, 2, (event(aggregate_id, 2),))]
        assert await store.store_in_turn(stale, 1) == 0

    async def test_many_streams_load_at_once_as_each_alone(self, store: EventStore) -> None:
        first, second, nobody = (str(uuid.uuid4()) for _ in range(3))
        await append(store, [event(first, 1), event(first, 2)], 0)
        await append(store, [event(second, 1)], 0)
        loaded = await store.load_many([second, nobody, first])
        assert loaded == {
            first: await store.load(first),
            second: await store.load(second),
            nobody: [],
        }

    async def test_ping_answers_and_writes_nothing(self, store: EventStore) -> None:
        await store.ping()
        aggregate_id = str(uuid.uuid4())
        await append(store, [event(aggregate_id, 1)], 0)
        await store.ping()
        far_future = datetime.now(UTC) + timedelta(days=1)
        assert len(await unpublished_of(store, aggregate_id, far_future)) == 1
        assert [e.version for e in await store.load(aggregate_id)] == [1]

    # Snapshots (core.aggregate): kept beside the events, the later one winning.

    async def test_a_long_stream_loads_after_any_version(self, store: EventStore) -> None:
        """Across the boundaries a store may read a stream by (adapters.mongo.segments)."""
        aggregate_id = str(uuid.uuid4())
        written = [event(aggregate_id, v) for v in range(1, 251)]
        for start in range(0, 250, 50):
            await append(store, written[start : start + 50], start)
        for after in (0, 1, 98, 99, 100, 101, 150, 199, 200, 201, 249, 250, 400):
            assert await store.load(aggregate_id, after_version=after) == written[after:], after


class RequestLogContract:
    """The request log (RequestLog): each request decided once, recorded with its events.
    Subclass it and provide `store`."""

    @pytest.fixture
    async def store(self) -> AsyncIterator[EventStore]:
        raise NotImplementedError("a subclass says how to create its store")
        yield  # pragma: no cover

    async def test_an_append_records_its_request_outcome(self, store: EventStore) -> None:
        aggregate_id, made = str(uuid.uuid4()), request(content="a")
        await append(store, [event(aggregate_id, 1)], 0)
        await append(store, [event(aggregate_id, 2), event(aggregate_id, 3)], 1, made)
        assert await store.outcome(made.key) == Outcome("a" * 64, aggregate_id, 3)
        assert await store.outcome(request().key) is None

    async def test_a_request_is_appended_once_even_to_another_stream(
        self, store: EventStore
    ) -> None:
        first, second, made = str(uuid.uuid4()), str(uuid.uuid4()), request()
        await append(store, [event(first, 1)], 0, made)
        with pytest.raises(RequestAlreadyDecided):
            await append(store, [event(first, 2)], 1, made)
        with pytest.raises(RequestAlreadyDecided):
            await append(store, [event(second, 1)], 0, made)
        assert [e.version for e in await store.load(first)] == [1]
        assert await store.load(second) == []

    async def test_one_request_id_from_two_clients_is_two_requests(self, store: EventStore) -> None:
        first, second = str(uuid.uuid4()), str(uuid.uuid4())
        await append(store, [event(first, 1)], 0, request("same", client="alice"))
        await append(store, [event(second, 1)], 0, request("same", client="bob"))
        outcome = await store.outcome(request("same", client="bob").key)
        assert outcome is not None and outcome.aggregate_id == second

    async def test_a_refusal_is_recorded_and_decides_the_request(self, store: EventStore) -> None:
        aggregate_id, refused = str(uuid.uuid4()), request(content="r")
        await append(store, [event(aggregate_id, 1)], 0)
        refusal = Refusal("RuleViolation", "not now")
        await refuse(store, refused, aggregate_id, 1, refusal)
        assert await store.outcome(refused.key) == Outcome("r" * 64, aggregate_id, 1, refusal)
        with pytest.raises(RequestAlreadyDecided):
            await append(store, [event(aggregate_id, 2)], 1, refused)
        with pytest.raises(RequestAlreadyDecided):
            await refuse(store, refused, aggregate_id, 1, Refusal("NotFound", "gone"))
        assert [e.version for e in await store.load(aggregate_id)] == [1]

    async def test_a_refusal_after_the_request_was_applied_is_refused(
        self, store: EventStore
    ) -> None:
        aggregate_id, made = str(uuid.uuid4()), request()
        await append(store, [event(aggregate_id, 1)], 0, made)
        with pytest.raises(RequestAlreadyDecided):
            await refuse(store, made, aggregate_id, 1, Refusal("RuleViolation", "no"))
        assert await store.outcome(made.key) == Outcome("f" * 64, aggregate_id, 1)

    async def test_refusals_are_not_events(self, store: EventStore) -> None:
        aggregate_id = str(uuid.uuid4())
        await refuse(store, request(), aggregate_id, 0, Refusal("NotFound", "no such"))
        assert await store.load(aggregate_id) == []
        assert aggregate_id not in [i async for i in store.aggregate_ids()]
        far_future = datetime.now(UTC) + timedelta(days=1)
        assert await unpublished_of(store, aggregate_id, far_future) == []

    async def test_of_racing_deciders_of_one_request_exactly_one_records(
        self, store: EventStore
    ) -> None:
        """Twenty processes decide one request at once: some apply it to different streams,
        some refuse it. The store lets exactly one decision in."""
        made, streams = request(), [str(uuid.uuid4()) for _ in range(10)]
        appends = [append(store, [event(s, 1)], 0, made) for s in streams]
        refusals = [refuse(store, made, s, 0, Refusal("NotFound", "no")) for s in streams]
        results = await asyncio.gather(*appends, *refusals, return_exceptions=True)
        assert sum(r is None for r in results) == 1, results
        assert all(isinstance(r, RequestAlreadyDecided) for r in results if r is not None)
        winner = results.index(None)
        outcome = await store.outcome(made.key)
        assert outcome is not None and outcome.aggregate_id == streams[winner % 10]
        stored = [s for s in streams if await store.load(s)]
        assert stored == ([streams[winner]] if winner < 10 else [])


class OutboxStoreContract:
    """The outbox's store (OutboxStore): what is not yet on the bus, a page at a time.
    Subclass it and provide `store`."""

    @pytest.fixture
    async def store(self) -> AsyncIterator[EventStore]:
        raise NotImplementedError("a subclass says how to create its store")
        yield  # pragma: no cover

    async def test_appended_events_wait_in_the_outbox_until_marked_published(
        self, store: EventStore
    ) -> None:
        aggregate_id = str(uuid.uuid4())
        now = datetime.now(UTC).replace(microsecond=0)
        written = [event(aggregate_id, v, at=now - timedelta(minutes=1)) for v in (1, 2, 3)]
        await append(store, written, 0)
        mine = await unpublished_of(store, aggregate_id, now)
        assert mine == written
        await store.mark_published([written[0].event_id, written[1].event_id])
        await store.mark_published([written[0].event_id])
        assert await unpublished_of(store, aggregate_id, now) == written[2:]

    async def test_the_outbox_holds_back_events_newer_than_asked(self, store: EventStore) -> None:
        aggregate_id = str(uuid.uuid4())
        now = datetime.now(UTC).replace(microsecond=0)
        await append(store, [event(aggregate_id, 1, at=now)], 0)
        assert await unpublished_of(store, aggregate_id, now - timedelta(seconds=1)) == []

    async def test_the_outbox_is_read_a_page_at_a_time_from_a_position(
        self, store: EventStore
    ) -> None:
        """Pages in (aggregate id, version) order, each after the last of the one before:
        a relay can walk past what it could not publish."""
        prefix = str(uuid.uuid4())
        now = datetime.now(UTC).replace(microsecond=0)
        a, b, c = f"{prefix}-a", f"{prefix}-b", f"{prefix}-c"
        for aggregate_id, versions in ((b, 2), (a, 3), (c, 1)):
            written = [event(aggregate_id, v, at=now) for v in range(1, versions + 1)]
            await append(store, written, 0)
        pages: list[list[tuple[str, int]]] = []
        after = (prefix, 0)
        while len(pages) < 3:
            page = await store.unpublished(now + timedelta(seconds=1), 2, after)
            pages.append([(e.aggregate_id[-1], e.version) for e in page])
            after = (page[-1].aggregate_id, page[-1].version)
        assert pages == [[("a", 1), ("a", 2)], [("a", 3), ("b", 1)], [("b", 2), ("c", 1)]]


class SnapshotStoreContract:
    """The snapshots beside the events (SnapshotStore).
    Subclass it and provide `store`."""

    @pytest.fixture
    async def store(self) -> AsyncIterator[EventStore]:
        raise NotImplementedError("a subclass says how to create its store")
        yield  # pragma: no cover

    async def test_a_snapshot_loads_back_as_it_was_kept(self, store: EventStore) -> None:
        aggregate_id = str(uuid.uuid4())
        assert await store.load_snapshot(aggregate_id) is None
        kept = Snapshot(aggregate_id, 100, "Thing/1", b"\x00state\xff")
        await store.save_snapshot(kept)
        assert await store.load_snapshot(aggregate_id) == kept
        assert await store.load_snapshot(str(uuid.uuid4())) is None

    async def test_a_later_snapshot_replaces_an_earlier_one_never_the_reverse(
        self, store: EventStore
    ) -> None:
        aggregate_id = str(uuid.uuid4())
        at = {v: Snapshot(aggregate_id, v, f"Thing/{v}", str(v).encode()) for v in (100, 200, 300)}
        await store.save_snapshot(at[200])
        await store.save_snapshot(at[100])
        assert await store.load_snapshot(aggregate_id) == at[200]
        await store.save_snapshot(at[200])  # the same again: harmless
        await store.save_snapshot(at[300])
        assert await store.load_snapshot(aggregate_id) == at[300]

    async def test_of_racing_snapshots_one_is_kept_whole(self, store: EventStore) -> None:
        aggregate_id = str(uuid.uuid4())
        await store.save_snapshot(Snapshot(aggregate_id, 50, "Thing/1", b"50"))
        raced = {
            v: Snapshot(aggregate_id, v, "Thing/1", str(v).encode()) for v in range(100, 2100, 100)
        }
        await asyncio.gather(*(store.save_snapshot(s) for s in raced.values()))
        kept = await store.load_snapshot(aggregate_id)
        assert kept is not None and kept == raced[kept.version]  # its own state, none older
        await store.save_snapshot(Snapshot(aggregate_id, 5000, "Thing/1", b"5000"))
        assert await store.load_snapshot(aggregate_id) == Snapshot(
            aggregate_id, 5000, "Thing/1", b"5000"
        )

    async def test_snapshots_leave_events_and_the_outbox_alone(self, store: EventStore) -> None:
        aggregate_id = str(uuid.uuid4())
        await append(store, [event(aggregate_id, 1)], 0)
        await store.save_snapshot(Snapshot(aggregate_id, 1, "Thing/1", b"s"))
        assert [e.version for e in await store.load(aggregate_id)] == [1]
        far_future = datetime.now(UTC) + timedelta(days=1)
        assert len(await unpublished_of(store, aggregate_id, far_future)) == 1
        assert [a async for a in store.aggregate_ids() if a == aggregate_id] == [aggregate_id]


class EventStoreContract(
    StreamsContract, RequestLogContract, OutboxStoreContract, SnapshotStoreContract
):
    """Every role an event store adapter plays; each adapter's test module subclasses this
    and provides `store`. Every contract suite asks for its adapter as the port's name
    (store, bus, parked, read_model); the reader's, which opens readers at several URLs,
    asks for `open_reader(url)`."""
