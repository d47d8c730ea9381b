"""Event store on MongoDB through PyMongo's asyncio API: one document per event.

It needs no multi-document transaction, so it runs unchanged on MongoDB and on
FerretDB, which has none. Two unique keys do all the guarding:

- an event's `_id` is its place in its stream, "<aggregate id>#<version>": of two
  writers that read the same version, the second insert fails (optimistic concurrency);
- `request` is unique: a request's first event carries its key, so of two processes
  deciding one request, only one can store an effect. A refused request is a small
  document of its own with the same field, so a request is refused or applied, once.

Every write waits for a majority of a replica set's members, journaled, and every read
is of majority-committed data (DURABLE, READ_COMMITTED): an acknowledged event survives
a failover, and nothing is decided on, or published from, an event a failover could
still roll back. Fixed here, not left to the URL, because the guarantees rest on them
(docs/guarantees.md). FerretDB, which has no replica set, accepts both.

One limit follows from having no transactions: an append of several events is
several inserts, so a process killed in between leaves the first ones stored. The
bank never appends more than one event per request.
"""

from collections.abc import AsyncIterator, Callable, Sequence
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.read_concern import ReadConcern
from pymongo.write_concern import WriteConcern

from adapters.mongo.documents import (
    OUTBOX,
    PENDING,
    MongoSnapshots,
    document_of,
    from_document,
    outcome_of,
    refusal_document,
    request_fields,
    slot_of,
    to_document,
)
from adapters.mongo.errors import outages_unavailable
from adapters.mongo.feed import MongoFeed
from adapters.mongo.indexes import create_indexes
from adapters.mongo.inserts import (
    DUPLICATE_KEY,
    DocumentRefused,
    GroupedInserts,
    InsertStopped,
    insert_in_order,
)
from adapters.mongo.segments import SEGMENT_SIZE, all_segmented, load_after
from adapters.settings import redacted
from core.aggregate import Snapshot
from core.errors import ConcurrencyError
from core.event_store import EventStore, OutboxPosition, check_contiguous, store_one_by_one
from core.events import StoredEvent
from core.feed import EventFeed, FeedEntry
from core.requests import Decision, Outcome, Refusal, Request, RequestAlreadyDecided

Document = dict[str, Any]
SERVER_SELECTION_MS = 3000  # unless the URL says (serverSelectionTimeoutMS=...)
DURABLE = WriteConcern(w="majority", j=True)
READ_COMMITTED = ReadConcern("majority")


class MongoEventStore(EventStore, EventFeed):
    def __init__(
        self,
        client: AsyncMongoClient[Document],
        collection: AsyncCollection[Document],
        segmented: bool = False,
    ):
        self._client = client
        self._events = collection
        self._snapshots = MongoSnapshots(_snapshots_of(collection))
        self._inserts = GroupedInserts(collection)
        self._segmented = segmented  # see adapters.mongo.segments
        self._feed = MongoFeed(collection)

    @classmethod
    async def connect(cls, url: str, collection: str = "events") -> "MongoEventStore":
        """Connect to the database the URL names (default `techbank`) and create the indexes."""
        said = "serverselectiontimeoutms=" in url.lower()
        timeout: dict[str, Any] = {} if said else {"serverSelectionTimeoutMS": SERVER_SELECTION_MS}
        client: AsyncMongoClient[Document] = AsyncMongoClient(url, tz_aware=True, **timeout)
        database = client.get_default_database(
            "techbank", write_concern=DURABLE, read_concern=READ_COMMITTED
        )
        events = database[collection]
        try:
            with outages_unavailable(f"the event store at {redacted(url)} is unavailable"):
                await create_indexes(events)
                segmented = await all_segmented(events, _snapshots_of(events))
        except Exception:
            await client.close()
            raise
        return cls(client, events, segmented)

    async def _append(
        self, events: Sequence[StoredEvent], expected_version: int, request: Request
    ) -> None:
        if not events:
            return
        check_contiguous(events, expected_version)
        documents = [to_document(e) for e in events]
        documents[0] |= request_fields(request, len(events))
        try:
            await self._insert(documents)
        except (DocumentRefused, InsertStopped) as exc:
            if not _is_duplicate_key(exc):
                raise
            # Either guard may have fired; the request's record says which.
            if await self.outcome(request.key) is not None:
                raise RequestAlreadyDecided(request.key) from exc
            raise ConcurrencyError(
                f"{events[0].aggregate_id} is no longer at version {expected_version}"
            ) from exc

    async def _insert(self, documents: list[Document]) -> None:
        """One document with the others waiting (GroupedInserts); several, in order, alone."""
        if len(documents) == 1:
            await self._inserts.insert(documents[0])
            return
        await insert_in_order(self._events, documents)

    async def _record_refusal(
        self, request: Request, aggregate_id: str, version: int, refusal: Refusal
    ) -> None:
        document = refusal_document(request, aggregate_id, version, refusal)
        try:
            await self._inserts.insert(document)
        except DocumentRefused as exc:
            if exc.code != DUPLICATE_KEY:
                raise
            raise RequestAlreadyDecided(request.key) from exc

    async def store_in_turn(self, decisions: Sequence[Decision], expected_version: int) -> int:
        stored = await self._store_in_turn(decisions, expected_version)
        if stored:
            self._feed.wake()
        return stored

    async def read_after(self, position: int, limit: int) -> list[FeedEntry]:
        return await self._feed.read_after(position, limit)

    async def head(self) -> int:
        return await self._feed.head()

    def notify(self, listener: Callable[[], None]) -> None:
        self._feed.notify(listener)

    async def _store_in_turn(self, decisions: Sequence[Decision], expected_version: int) -> int:
        """One ordered insert_many when each decision is one document (an event or a
        refusal): the server stops at the first it refuses and says how many went in."""
        if len(decisions) == 1 or any(len(d.events) > 1 for d in decisions):
            return await store_one_by_one(decisions, expected_version, self._store_one)
        check_contiguous([e for d in decisions for e in d.events], expected_version)
        try:
            await insert_in_order(self._events, [document_of(d) for d in decisions])
        except InsertStopped as stop:
            if stop.code != DUPLICATE_KEY:
                raise
            return stop.inserted
        return len(decisions)

    async def _store_one(self, decision: Decision, version: int) -> None:
        """One decision's documents: alone they go with others waiting (GroupedInserts)."""
        if decision.refusal is not None:
            await self._record_refusal(
                decision.request, decision.aggregate_id, decision.version, decision.refusal
            )
        else:
            await self._append(decision.events, version, decision.request)

    async def outcome(self, request_key: str) -> Outcome | None:
        with outages_unavailable():
            doc = await self._events.find_one({"request": slot_of(request_key)})
        return None if doc is None else outcome_of(doc)

    async def save_snapshot(self, snapshot: Snapshot) -> None:
        await self._snapshots.save(snapshot)

    async def load_snapshot(self, aggregate_id: str) -> Snapshot | None:
        return await self._snapshots.load(aggregate_id)

    async def ping(self) -> None:
        # A read of the collection rather than the `ping` command, which needs no data:
        # this goes where the store's own reads go (on FerretDB, to its PostgreSQL).
        with outages_unavailable():
            await self._events.find_one({}, {"_id": 1})

    async def load(self, aggregate_id: str, after_version: int = 0) -> list[StoredEvent]:
        by_version = [("version", ASCENDING)]
        if self._segmented and after_version >= SEGMENT_SIZE:
            return await load_after(
                lambda q: self._find(q, by_version), aggregate_id, after_version
            )
        query = {"aggregate_id": aggregate_id, "version": {"$gt": after_version}}
        return await self._find(query, by_version)

    async def unpublished(
        self, older_than: datetime, limit: int, after: OutboxPosition | None = None
    ) -> list[StoredEvent]:
        query: Document = {OUTBOX: PENDING, "occurred_at": {"$lt": older_than}}
        if after is not None:
            aggregate_id, version = after
            query["$or"] = [
                {"aggregate_id": {"$gt": aggregate_id}},
                {"aggregate_id": aggregate_id, "version": {"$gt": version}},
            ]
        return await self._find(query, [("aggregate_id", 1), ("version", 1)], limit)

    async def mark_published(self, event_ids: Sequence[str]) -> None:
        with outages_unavailable():
            await self._events.update_many(
                # The outbox marker first: FerretDB narrows to pending events by index,
                # where an $in alone would scan the whole collection.
                {OUTBOX: PENDING, "event_id": {"$in": list(event_ids)}},
                {"$unset": {OUTBOX: ""}},
            )

    async def _find(
        self, query: Document, sort: list[tuple[str, int]], limit: int = 0
    ) -> list[StoredEvent]:
        with outages_unavailable():
            cursor = self._events.find(query).sort(sort).limit(limit)
            return [from_document(doc) async for doc in cursor]

    async def aggregate_ids(self) -> AsyncIterator[str]:
        with outages_unavailable():
            cursor = self._events.find({"version": 1}, {"aggregate_id": 1}).sort("_id", 1)
            async for doc in cursor:
                yield doc["aggregate_id"]

    async def close(self) -> None:
        await self._inserts.close()
        await self._feed.close()
        await self._client.close()


def _snapshots_of(events: AsyncCollection[Document]) -> AsyncCollection[Document]:
    return events.database[f"{events.name}_snapshots"]


def _is_duplicate_key(exc: DocumentRefused | InsertStopped) -> bool:
    return exc.code == DUPLICATE_KEY
