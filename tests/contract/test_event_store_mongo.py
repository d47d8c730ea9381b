"""The event store contract against the real MongoDB-protocol server (FerretDB here)."""

import uuid
from collections.abc import AsyncIterator

import pytest

from adapters.mongo_event_store import MongoEventStore
from core.event_store import EventStore
from tests.contract.event_store_contract import EventStoreContract
from tests.support.stack import mongo_url

# One collection per run: every test writes aggregates of its own, so they never collide.
COLLECTION = f"contract_events_{uuid.uuid4().hex}"


class TestMongoEventStore(EventStoreContract):
    @pytest.fixture
    async def store(self) -> AsyncIterator[EventStore]:
        store = await MongoEventStore.connect(mongo_url(), collection=COLLECTION)
        yield store
        await store.close()
