"""The parked events' contract against the real MongoDB-protocol server (FerretDB here)."""

import uuid
from collections.abc import AsyncIterator

import pytest

from adapters.mongo.parked import MongoParkedEvents
from core.parking import ParkedEvents
from harness.stack import mongo_url
from tests.contract.parked_events_contract import ParkedEventsContract

COLLECTION = f"contract_parked_{uuid.uuid4().hex}"  # one per run; each test's consumers


class TestMongoParkedEvents(ParkedEventsContract):
    @pytest.fixture
    async def parked(self) -> AsyncIterator[ParkedEvents]:
        parked = await MongoParkedEvents.connect(mongo_url(), collection=COLLECTION)
        yield parked
        await parked.close()
