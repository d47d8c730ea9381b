from collections.abc import AsyncIterator

import pytest

from core.event_store import EventStore
from tests.contract.event_store_contract import EventStoreContract
from tests.fakes import InMemoryEventStore


class TestInMemoryEventStore(EventStoreContract):
    """The unit tests' fake keeps the same contract as the real stores."""

    @pytest.fixture
    async def store(self) -> AsyncIterator[EventStore]:
        yield InMemoryEventStore()
