"""Wires the projector from configuration."""

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.kafka_consumer import StoreBatch
from adapters.sql_engine import create_engine
from core.event_store import EventStore
from core.events import StoredEvent
from projector.offsets import save_offsets
from projector.projection import AccountProjection
from projector.retry import retry_transient
from projector.schema import create_schema


async def build_projection(
    read_db_url: str, store: EventStore
) -> tuple[AccountProjection, AsyncEngine]:
    """The projection over the read database, healing gaps from `store`."""
    engine = create_engine(read_db_url)
    await create_schema(engine)
    return AccountProjection(engine, store.load), engine


def batch_writer(projection: AccountProjection, engine: AsyncEngine, topic: str) -> StoreBatch:
    """A batch handler that stores the events' effects and the offsets in one transaction."""

    async def store_batch(events: Sequence[StoredEvent], offsets: dict[int, int]) -> None:
        async def attempt() -> None:
            async with engine.begin() as conn:
                await projection.apply(conn, events)
                await save_offsets(conn, topic, offsets)

        await retry_transient(attempt, attempts=None)

    return store_batch
