"""The event feed contract on the embedded default's SQLite store and on the real
MongoDB-protocol server (FerretDB here), a collection of its own for each test."""

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from pymongo import AsyncMongoClient

from adapters.mongo.event_store import MongoEventStore
from adapters.mongo.feed import FEED, PENDING
from adapters.sqlite.event_store import SqliteEventStore
from core.event_store import EventStore
from harness.stack import mongo_url
from tests.contract.event_feed_contract import EventFeedContract, until_head
from tests.contract.event_store_contract import append, event

Open = Callable[[], Awaitable[EventStore]]


class TestSqliteEventFeed(EventFeedContract):
    @pytest.fixture
    def reopen(self, tmp_path: Path) -> Open:
        async def opened() -> EventStore:
            return await SqliteEventStore.connect(f"sqlite:///{tmp_path}/events.db")

        return opened

    @pytest.fixture
    async def store(self, reopen: Open) -> AsyncIterator[EventStore]:
        store = await reopen()
        yield store
        await store.close()


class TestMongoEventFeed(EventFeedContract):
    @pytest.fixture
    async def reopen(self) -> AsyncIterator[Open]:
        name = f"contract_feed_{uuid.uuid4().hex}"

        async def opened() -> EventStore:
            return await MongoEventStore.connect(mongo_url(), collection=name)

        yield opened
        client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(mongo_url())
        for suffix in ("", "_feed", "_snapshots"):
            await client.get_default_database().drop_collection(name + suffix)
        await client.close()

    @pytest.fixture
    async def store(self, reopen: Open) -> AsyncIterator[EventStore]:
        store = await reopen()
        yield store
        await store.close()


async def test_an_event_copied_but_still_marked_pending_is_not_positioned_again(
    tmp_path: Path,
) -> None:
    """A sequencer stopped between copying events into the feed and clearing their mark:
    the next one finds them pending, and gives them no second position."""
    name = f"contract_feed_{uuid.uuid4().hex}"
    store = await MongoEventStore.connect(mongo_url(), collection=name)
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(mongo_url())
    events = client.get_default_database()[name]
    try:
        await append(store, [event("a", 1), event("a", 2)], 0)
        await append(store, [event("b", 1)], 0)
        assert len(await until_head(store, 3)) == 3
        await events.update_many({}, {"$set": {FEED: PENDING}})  # as if never cleared
        await append(store, [event("a", 3)], 2)
        entries = await until_head(store, 4)
        assert [(e.event.aggregate_id, e.event.version) for e in entries] == [
            ("a", 1),
            ("a", 2),
            ("b", 1),
            ("a", 3),
        ]
        assert await events.count_documents({FEED: PENDING}) == 0
    finally:
        await store.close()
        for suffix in ("", "_feed", "_snapshots"):
            await client.get_default_database().drop_collection(name + suffix)
        await client.close()
