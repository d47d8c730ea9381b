"""The event store contract against the real MongoDB-protocol server (FerretDB here)."""

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from pymongo import AsyncMongoClient, monitoring

from adapters.mongo.event_store import MongoEventStore
from adapters.mongo.indexes import EARLIER_LAYOUT_INDEX as OLD_INDEX
from adapters.mongo.inserts import DUPLICATE_KEY, InsertStopped, insert_in_order
from adapters.settings import EarlierStoreLayout
from core.event_store import EventStore
from harness.stack import mongo_url
from tests.contract.event_store_contract import EventStoreContract, append, event, request

# One collection per run: every test writes aggregates of its own, so they never collide.
COLLECTION = f"contract_events_{uuid.uuid4().hex}"


class TestMongoEventStore(EventStoreContract):
    @pytest.fixture
    async def store(self) -> AsyncIterator[EventStore]:
        store = await MongoEventStore.connect(mongo_url(), collection=COLLECTION)
        yield store
        await store.close()


async def test_a_collection_of_the_earlier_layout_is_refused() -> None:
    name = f"contract_old_{uuid.uuid4().hex}"
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(mongo_url())
    old = client.get_default_database()[name]
    await old.create_index([("aggregate_id", 1), ("version", 1)], unique=True, name=OLD_INDEX)
    try:
        with pytest.raises(EarlierStoreLayout, match="earlier Techbank"):
            await MongoEventStore.connect(mongo_url(), collection=name)
    finally:
        await old.drop()
        await client.close()


async def test_events_written_before_segments_still_load_after_a_version() -> None:
    """A collection that has events but no segment mark is read the way it always was."""
    name = f"contract_unsegmented_{uuid.uuid4().hex}"
    store = await MongoEventStore.connect(mongo_url(), collection=name)
    aggregate_id = str(uuid.uuid4())
    written = [event(aggregate_id, v) for v in range(1, 151)]
    await append(store, written, 0, request())
    await store.close()
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(mongo_url())
    database = client.get_default_database()
    try:
        await database[name].update_many({}, {"$unset": {"segment": ""}})  # as before segments
        await database[f"{name}_snapshots"].delete_many({})  # and no mark
        legacy = await MongoEventStore.connect(mongo_url(), collection=name)
        assert await legacy.load(aggregate_id, after_version=120) == written[120:]
        await legacy.close()
    finally:
        await database[name].drop()
        await database[f"{name}_snapshots"].drop()
        await client.close()


class CommandsSent(monitoring.CommandListener):
    """Every command a client sends, as sent on the wire."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        self.sent.append({"name": event.command_name, **event.command})

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


async def test_writes_wait_for_a_journaled_majority_and_reads_see_only_committed_data() -> None:
    """What the server is asked, not what it does: FerretDB has no replica set to show
    it; a MongoDB replica set applies these as docs/guarantees.md says."""
    listener = CommandsSent()
    monitoring.register(listener)  # clients created from now on report to it
    store = await MongoEventStore.connect(mongo_url(), collection=COLLECTION)
    aggregate_id = str(uuid.uuid4())
    try:
        await append(store, [event(aggregate_id, 1)], 0, request())
        await store.load(aggregate_id)
        await store.unpublished(datetime.now(UTC), 10)
    finally:
        await store.close()
        monitoring._LISTENERS.command_listeners.remove(listener)
    writes = [c for c in listener.sent if c["name"] in ("insert", "update", "createIndexes")]
    reads = [c for c in listener.sent if c["name"] == "find"]
    assert writes and reads
    assert all(c.get("writeConcern") == {"w": "majority", "j": True} for c in writes), writes
    assert all(c.get("readConcern") == {"level": "majority"} for c in reads), reads


async def test_an_ordered_insert_stops_at_the_first_refused_document_however_many() -> None:
    """FerretDB stops an ordered insert_many only within its batch of 100 documents;
    insert_in_order must not store anything after the refused one."""
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongo_url())
    collection = client.get_default_database()[f"contract_ordered_{uuid.uuid4().hex}"]
    await collection.insert_one({"_id": 100})
    try:
        with pytest.raises(InsertStopped) as stopped:
            await insert_in_order(collection, [{"_id": n} for n in range(1, 251)])
        assert (stopped.value.inserted, stopped.value.code) == (99, DUPLICATE_KEY)
        stored = sorted([doc["_id"] async for doc in collection.find({})])
        assert stored == list(range(1, 101))
    finally:
        await collection.drop()
        await client.close()
