"""The event bus contract for the in-process bus."""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence

import pytest

from adapters.inprocess_bus import InProcessEventBus
from core.event_store import EventBus
from core.events import StoredEvent
from tests.contract.event_bus_contract import EventBusContract, Received
from tests.contract.event_store_contract import event


class TestInProcessEventBus(EventBusContract):
    @pytest.fixture
    async def bus(self) -> AsyncIterator[tuple[EventBus, Received]]:
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


async def test_a_failing_subscriber_keeps_no_other_from_the_events() -> None:
    """Whichever subscriber fails, and where it stands, every other one is handed the
    events; the publish then fails, so the outbox delivers them again."""
    bus = InProcessEventBus()
    got: list[list[StoredEvent]] = [[], [], []]

    async def failing(events: Sequence[StoredEvent]) -> None:
        raise RuntimeError("this subscriber cannot handle them")

    def collecting(into: list[StoredEvent]) -> Callable[[Sequence[StoredEvent]], Awaitable[None]]:
        async def collect(events: Sequence[StoredEvent]) -> None:
            into.extend(events)

        return collect

    bus.subscribe(collecting(got[0]))
    bus.subscribe(failing)
    bus.subscribe(collecting(got[1]))
    bus.subscribe(failing)
    bus.subscribe(collecting(got[2]))
    sent = [event("a", 1), event("b", 1)]
    with pytest.raises(RuntimeError, match="cannot handle"):
        await bus.publish(sent)
    assert got == [sent, sent, sent]
