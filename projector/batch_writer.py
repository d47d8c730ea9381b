"""What the Kafka projector does with each batch of events it consumes."""

import asyncio
from collections.abc import Sequence
from functools import partial

from adapters.kafka.consumer import StopConsuming, StoreBatch
from bank.read_model import Position
from core.events import StoredEvent
from core.parking import ParkingConsumer
from projector.faults import pause_inside_batch
from projector.projection import AccountProjection
from projector.transient import Stopped, retry_transient


def batch_writer(
    projection: AccountProjection, consumer: ParkingConsumer, topic: str, stop: asyncio.Event
) -> StoreBatch:
    """A batch handler that stores the events' effects and the offsets in one transaction,
    trying again for as long as its stores are down, until `stop` is set. An account the
    projection fails on for good is parked by `consumer` (its events' effects are then
    stored an account at a time, and the offsets after them), so the partition goes on."""

    async def store_batch(events: Sequence[StoredEvent], offsets: dict[int, int]) -> None:
        position = Position(topic, offsets)

        async def attempt() -> None:
            await pause_inside_batch()
            await consumer(events, partial(projection.handle, position=position))

        try:
            await retry_transient(attempt, attempts=None, stop=stop)
        except Stopped as stopped:
            raise StopConsuming from stopped

    return store_batch
