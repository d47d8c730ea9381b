"""Wires the projector from configuration."""

from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.sql_engine import create_engine
from core.event_store import EventStore
from projector.projection import AccountProjection
from projector.schema import create_schema


async def build_projection(
    read_db_url: str, store: EventStore
) -> tuple[AccountProjection, AsyncEngine]:
    """The projection over the read database, healing gaps from `store`."""
    engine = create_engine(read_db_url)
    await create_schema(engine)
    return AccountProjection(engine, store.load), engine
