from collections.abc import AsyncIterator

import pytest

from core.parking import ParkedEvents
from tests.contract.parked_events_contract import ParkedEventsContract
from tests.fakes import InMemoryParkedEvents


class TestInMemoryParkedEvents(ParkedEventsContract):
    """The unit tests' fake keeps the same contract as the real stores."""

    @pytest.fixture
    async def parked(self) -> AsyncIterator[ParkedEvents]:
        yield InMemoryParkedEvents()
