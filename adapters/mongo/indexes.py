"""The event store's indexes on MongoDB: `_id` and `request` are the guards (see
adapters.mongo.event_store); the others serve loading a stream, the outbox's sweep and
the feed's sequencer (adapters.mongo.feed)."""

from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.collection import AsyncCollection

from adapters.mongo.documents import OUTBOX
from adapters.mongo.feed import FEED, create_feed_indexes, feed_of
from adapters.mongo.segments import SEGMENT
from adapters.settings import EarlierStoreLayout

# The unique index the earlier layout (one event per document, _id = event id) created.
EARLIER_LAYOUT_INDEX = "aggregate_version_unique"


async def create_indexes(events: AsyncCollection[dict[str, Any]]) -> None:
    if EARLIER_LAYOUT_INDEX in {index["name"] async for index in await events.list_indexes()}:
        raise EarlierStoreLayout(
            f"the collection {events.full_name} was written by an earlier Techbank, whose "
            "events had a uuid _id; start with an empty database or collection"
        )
    await events.create_index([("request", ASCENDING)], unique=True, name="request_unique")
    await events.create_index(
        [("aggregate_id", ASCENDING), ("version", ASCENDING)], name="aggregate_version"
    )
    await events.create_index([(OUTBOX, ASCENDING)], name="outbox")
    await events.create_index([(SEGMENT, ASCENDING)], name="segment")
    await events.create_index([(FEED, ASCENDING)], name="feed")
    await create_feed_indexes(feed_of(events))
