"""The contract every EventBus adapter keeps. Subclass it and provide `bus`."""

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime

import pytest

from core.event_store import EventBus
from core.events import StoredEvent
from techbank.account.v1 import events_pb2
from tests.contract.event_store_contract import event

Received = Callable[[int], Awaitable[list[StoredEvent]]]
WAIT_SECONDS = 30


class EventBusContract:
    """A subclass says how to publish and how a subscriber receives (`bus`)."""

    @pytest.fixture
    async def bus(self) -> AsyncIterator[tuple[EventBus, Received]]:
        """The bus, and a function that waits for the first N events a subscriber got."""
        raise NotImplementedError
        yield  # pragma: no cover

    async def test_published_events_arrive_whole(self, bus: tuple[EventBus, Received]) -> None:
        publisher, received = bus
        sent = [_account_event(str(uuid.uuid4()), 1)]
        await publisher.publish(sent)
        assert await asyncio.wait_for(received(1), WAIT_SECONDS) == sent

    async def test_each_aggregates_events_arrive_in_version_order(
        self, bus: tuple[EventBus, Received]
    ) -> None:
        publisher, received = bus
        aggregates = [str(uuid.uuid4()) for _ in range(5)]
        for version in range(1, 11):
            await publisher.publish([_account_event(a, version) for a in aggregates])
        got = await asyncio.wait_for(received(50), WAIT_SECONDS)
        for aggregate_id in aggregates:
            versions = [e.version for e in got if e.aggregate_id == aggregate_id]
            assert versions == list(range(1, 11))


def _account_event(aggregate_id: str, version: int) -> StoredEvent:
    """A deposit as the command side stores it: the envelope on the bus needs a real payload."""
    payload = events_pb2.FundsDeposited(amount_cents=version).SerializeToString()
    stored = event(
        aggregate_id, version, payload=payload, at=datetime.now(UTC).replace(microsecond=0)
    )
    return StoredEvent(**{**stored.__dict__, "event_type": "FundsDeposited"})
