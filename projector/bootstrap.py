"""Wires the projector from configuration."""

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.kafka_consumer import StopConsuming, StoreBatch
from adapters.sql_engine import create_engine, writer
from core.event_store import EventStore
from core.events import StoredEvent
from projector.faults import pause_inside_batch
from projector.offsets import save_offsets
from projector.projection import AccountProjection
from projector.retry import Stopped, retry_transient
from projector.schema import prepare_read_model


@dataclass(frozen=True)
class ReadModel:
    projection: AccountProjection
    engine: AsyncEngine
    fresh: bool  # its tables were just created: everything is still to be projected


async def build_projection(read_db_url: str, store: EventStore) -> ReadModel:
    """The projection over the read database, healing gaps from `store`."""
    engine = create_engine(read_db_url)
    try:
        fresh = await prepare_read_model(engine)
    except Exception:
        await engine.dispose()
        raise
    return ReadModel(AccountProjection(engine, store.load), engine, fresh)


def batch_writer(
    projection: AccountProjection, engine: AsyncEngine, topic: str, stop: asyncio.Event
) -> StoreBatch:
    """A batch handler that stores the events' effects and the offsets in one transaction,
    trying again for as long as its stores are down, until `stop` is set."""
    transactions = writer(engine)

    async def store_batch(events: Sequence[StoredEvent], offsets: dict[int, int]) -> None:
        async def attempt() -> None:
            await pause_inside_batch()
            async with transactions.begin() as conn:
                await projection.apply(conn, events)
                await save_offsets(conn, topic, offsets)

        try:
            await retry_transient(attempt, attempts=None, stop=stop)
        except Stopped as stopped:
            raise StopConsuming from stopped

    return store_batch
