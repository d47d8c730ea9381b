"""Event store on MongoDB through PyMongo's asyncio API: one document per event.

A unique index on (aggregate_id, version) does the optimistic concurrency, so the
adapter needs no multi-document transaction: it runs unchanged on MongoDB and on
FerretDB, which has none.
"""

import dataclasses
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any

from bson.binary import Binary
from pymongo import ASCENDING, AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError, ConnectionFailure, DuplicateKeyError, PyMongoError

from core.errors import ConcurrencyError, Unavailable
from core.event_store import EventStore, check_contiguous
from core.events import StoredEvent

Document = dict[str, Any]
SERVER_SELECTION_MS = 3000
DUPLICATE_KEY = 11000
# An unpublished event carries outbox: "pending", removed once the bus has it. A string
# equality, not a boolean, because FerretDB pushes string equality down to its backend's
# index, so the sweep's query stays cheap however many events are stored.
OUTBOX, PENDING = "outbox", "pending"
# Fields stored under their own names; event_id is the document's _id, payload is Binary.
STORED_FIELDS = [
    f.name for f in dataclasses.fields(StoredEvent) if f.name not in ("event_id", "payload")
]


class MongoEventStore(EventStore):
    def __init__(self, client: AsyncMongoClient[Document], collection: AsyncCollection[Document]):
        self._client = client
        self._events = collection

    @classmethod
    async def connect(cls, url: str, collection: str = "events") -> "MongoEventStore":
        """Connect to the database the URL names (default `techbank`) and create the indexes."""
        client: AsyncMongoClient[Document] = AsyncMongoClient(
            url, tz_aware=True, serverSelectionTimeoutMS=SERVER_SELECTION_MS
        )
        events = client.get_default_database("techbank")[collection]
        try:
            await _create_indexes(events)
        except PyMongoError as exc:
            await client.close()
            raise Unavailable(f"the event store at {_redacted(url)} is unavailable") from exc
        return cls(client, events)

    async def append(self, events: Sequence[StoredEvent], expected_version: int) -> None:
        if not events:
            return
        check_contiguous(events, expected_version)
        try:
            await self._events.insert_many([_to_document(e) for e in events], ordered=True)
        except (DuplicateKeyError, BulkWriteError) as exc:
            if not _is_duplicate_key(exc):
                raise
            raise ConcurrencyError(
                f"{events[0].aggregate_id} is no longer at version {expected_version}"
            ) from exc
        except ConnectionFailure as exc:
            raise Unavailable("the event store is unavailable") from exc

    async def load(self, aggregate_id: str, after_version: int = 0) -> list[StoredEvent]:
        query = {"aggregate_id": aggregate_id, "version": {"$gt": after_version}}
        return await self._find(query, [("version", ASCENDING)])

    async def find_by_request(self, request_id: str) -> list[StoredEvent]:
        return await self._find({"request_id": request_id}, [("aggregate_id", 1), ("version", 1)])

    async def unpublished(self, older_than: datetime, limit: int) -> list[StoredEvent]:
        query = {OUTBOX: PENDING, "occurred_at": {"$lt": older_than}}
        return await self._find(query, [("aggregate_id", 1), ("version", 1)], limit)

    async def mark_published(self, event_ids: Sequence[str]) -> None:
        try:
            await self._events.update_many(
                # The outbox marker first: FerretDB narrows to pending events by index,
                # where an $in on _id alone would scan the whole collection.
                {OUTBOX: PENDING, "_id": {"$in": list(event_ids)}},
                {"$unset": {OUTBOX: ""}},
            )
        except ConnectionFailure as exc:
            raise Unavailable("the event store is unavailable") from exc

    async def _find(
        self, query: Document, sort: list[tuple[str, int]], limit: int = 0
    ) -> list[StoredEvent]:
        try:
            cursor = self._events.find(query).sort(sort).limit(limit)
            return [_from_document(doc) async for doc in cursor]
        except ConnectionFailure as exc:
            raise Unavailable("the event store is unavailable") from exc

    async def aggregate_ids(self) -> AsyncIterator[str]:
        cursor = self._events.find({"version": 1}, {"aggregate_id": 1}).sort("_id", ASCENDING)
        async for doc in cursor:
            yield doc["aggregate_id"]

    async def close(self) -> None:
        await self._client.close()


async def _create_indexes(events: AsyncCollection[Document]) -> None:
    # The unique index is the optimistic-concurrency check; the others serve lookups
    # by request id (idempotent commands) and the outbox sweep.
    await events.create_index(
        [("aggregate_id", ASCENDING), ("version", ASCENDING)],
        unique=True,
        name="aggregate_version_unique",
    )
    await events.create_index([("request_id", ASCENDING)], name="request_id")
    await events.create_index([(OUTBOX, ASCENDING)], name="outbox")


def _is_duplicate_key(exc: PyMongoError) -> bool:
    if isinstance(exc, DuplicateKeyError):
        return True
    errors = exc.details.get("writeErrors", []) if isinstance(exc, BulkWriteError) else []
    return any(error.get("code") == DUPLICATE_KEY for error in errors)


def _redacted(url: str) -> str:
    """The URL without its credentials, fit for an error message."""
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.rpartition('@')[2]}"


def _to_document(event: StoredEvent) -> Document:
    fields = dataclasses.asdict(event)
    fields["_id"] = fields.pop("event_id")
    return {**fields, "payload": Binary(event.payload), OUTBOX: PENDING}


def _from_document(doc: Document) -> StoredEvent:
    fields = {name: doc[name] for name in STORED_FIELDS if name in doc}
    return StoredEvent(**fields, event_id=doc["_id"], payload=bytes(doc["payload"]))
