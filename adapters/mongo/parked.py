"""Parked events in MongoDB (FerretDB here): a `parked_events` collection beside the
event store's, one document per consumer and event, `_id` made of the two."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, AsyncMongoClient, UpdateOne
from pymongo.asynchronous.collection import AsyncCollection

from adapters.mongo.errors import outages_unavailable
from adapters.mongo.event_store import DURABLE, READ_COMMITTED, SERVER_SELECTION_MS
from adapters.settings import redacted
from core.events import StoredEvent
from core.parking import MAX_LISTED, ParkedEvent, ParkedEvents

Document = dict[str, Any]
UNAVAILABLE = "the parked events' store is unavailable"
ORDER = [("consumer", ASCENDING), ("aggregate_id", ASCENDING), ("version", ASCENDING)]
# retry_asked as a string equality, which FerretDB pushes down to its backend.
ASKED, NOT_ASKED = "yes", "no"


class MongoParkedEvents(ParkedEvents):
    def __init__(self, client: AsyncMongoClient[Document], parked: AsyncCollection[Document]):
        self._client = client
        self._parked = parked

    @classmethod
    async def connect(cls, url: str, collection: str = "parked_events") -> "MongoParkedEvents":
        """The collection in the database the URL names (default `techbank`)."""
        said = "serverselectiontimeoutms=" in url.lower()
        timeout: dict[str, Any] = {} if said else {"serverSelectionTimeoutMS": SERVER_SELECTION_MS}
        client: AsyncMongoClient[Document] = AsyncMongoClient(url, tz_aware=True, **timeout)
        database = client.get_default_database(
            "techbank", write_concern=DURABLE, read_concern=READ_COMMITTED
        )
        parked = database[collection]
        try:
            with outages_unavailable(f"parked events at {redacted(url)} are unavailable"):
                await parked.create_index(ORDER, name="parked_order")
        except Exception:
            await client.close()
            raise
        return cls(client, parked)

    async def park(
        self, consumer: str, events: Sequence[StoredEvent], error: str, at: datetime
    ) -> None:
        writes = [
            UpdateOne(
                {"_id": _key(consumer, event.event_id)},
                {"$set": _document(consumer, event, error, at)},
                upsert=True,
            )
            for event in events
        ]
        with outages_unavailable(UNAVAILABLE):
            await self._parked.bulk_write(writes, ordered=True)

    async def parked(
        self, consumer: str | None = None, *, asked_only: bool = False, limit: int = MAX_LISTED
    ) -> list[ParkedEvent]:
        query: Document = {} if consumer is None else {"consumer": consumer}
        if asked_only:
            query["retry_asked"] = ASKED
        with outages_unavailable(UNAVAILABLE):
            cursor = self._parked.find(query).sort(ORDER).limit(limit)
            return [_parked_event(doc) async for doc in cursor]

    async def count(self, consumer: str) -> int:
        with outages_unavailable(UNAVAILABLE):
            return await self._parked.count_documents({"consumer": consumer})

    async def ask_retry(self, consumer: str | None = None, aggregate_id: str | None = None) -> int:
        query: Document = {}
        if consumer is not None:
            query["consumer"] = consumer
        if aggregate_id is not None:
            query["aggregate_id"] = aggregate_id
        with outages_unavailable(UNAVAILABLE):
            done = await self._parked.update_many(query, {"$set": {"retry_asked": ASKED}})
        return done.matched_count

    async def unpark(self, consumer: str, event_ids: Sequence[str]) -> None:
        keys = [_key(consumer, event_id) for event_id in event_ids]
        with outages_unavailable(UNAVAILABLE):
            await self._parked.delete_many({"_id": {"$in": keys}})

    async def close(self) -> None:
        await self._client.close()


def _key(consumer: str, event_id: str) -> str:
    return f"{consumer}/{event_id}"


def _document(consumer: str, event: StoredEvent, error: str, at: datetime) -> Document:
    return {
        "consumer": consumer,
        "event_id": event.event_id,
        "aggregate_id": event.aggregate_id,
        "aggregate_type": event.aggregate_type,
        "version": event.version,
        "event_type": event.event_type,
        "error": error,
        "parked_at": at,
        "retry_asked": NOT_ASKED,
    }


def _parked_event(doc: Document) -> ParkedEvent:
    fields = {name: value for name, value in doc.items() if name != "_id"}
    return ParkedEvent(**{**fields, "retry_asked": doc["retry_asked"] == ASKED})
