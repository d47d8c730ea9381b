"""The event bus contract for the in-process bus."""

import asyncio
from collections.abc import AsyncIterator, Sequence

import pytest

from adapters.inprocess_bus import InProcessEventBus
from core.event_bus import EventBus
from core.events import StoredEvent
from tests.contract.event_bus_contract import EventBusContract, Received


class TestInProcessEventBus(EventBusContract):
    @pytest.fixture
    async def bus_and_received(self) -> AsyncIterator[tuple[EventBus, Received]]:
        bus = InProcessEventBus()
        got: list[StoredEvent] = []
        arrived = asyncio.Condition()

        async def collect(events: Sequence[StoredEvent]) -> None:
            async with arrived:
                got.extend(events)
                arrived.notify_all()

        async def received(count: int) -> list[StoredEvent]:
            async with arrived:
                await arrived.wait_for(lambda: len(got) >= count)
            return got[:count]

        bus.subscribe(collect)
        yield bus, received
        await bus.close()
