"""Parked events in a SQL database through SQLAlchemy (SQLite, MySQL, PostgreSQL): the
`parked_events` table beside the event store's own (adapters.sql.event_tables)."""

import contextlib
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.sql.engine import create_engine
from adapters.sql.errors import is_unavailable
from adapters.sql.event_tables import parked_events as parked
from core.errors import Unavailable
from core.events import StoredEvent
from core.parking import MAX_LISTED, ParkedEvent, ParkedEvents

UNAVAILABLE = "the parked events' store is unavailable"
ORDER = (parked.c.consumer, parked.c.aggregate_id, parked.c.version)
T = TypeVar("T")


class SqlParkedEvents(ParkedEvents):
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    @classmethod
    async def connect(cls, url: str) -> "SqlParkedEvents":
        engine = create_engine(url)
        store = cls(engine)
        await store._run(lambda conn: parked.create(conn, checkfirst=True))
        return store

    async def park(
        self, consumer: str, events: Sequence[StoredEvent], error: str, at: datetime
    ) -> None:
        rows = [_row(consumer, event, error, at) for event in events]
        ids = [event.event_id for event in events]
        mine = sa.and_(parked.c.consumer == consumer, parked.c.event_id.in_(ids))

        def replace(conn: sa.Connection) -> None:
            conn.execute(parked.delete().where(mine))
            conn.execute(parked.insert(), rows)

        with contextlib.suppress(IntegrityError):  # parked by another process meanwhile
            await self._run(replace)

    async def parked(
        self, consumer: str | None = None, *, asked_only: bool = False, limit: int = MAX_LISTED
    ) -> list[ParkedEvent]:
        query = sa.select(parked).order_by(*ORDER).limit(limit)
        if consumer is not None:
            query = query.where(parked.c.consumer == consumer)
        if asked_only:
            query = query.where(parked.c.retry_asked.is_(True))
        rows = await self._run(lambda conn: conn.execute(query).mappings().all())
        return [ParkedEvent(**row) for row in rows]

    async def count(self, consumer: str) -> int:
        query = sa.select(sa.func.count()).where(parked.c.consumer == consumer)
        return int(await self._run(lambda conn: conn.execute(query).scalar_one()))

    async def ask_retry(self, consumer: str | None = None, aggregate_id: str | None = None) -> int:
        update = parked.update().values(retry_asked=True)
        if consumer is not None:
            update = update.where(parked.c.consumer == consumer)
        if aggregate_id is not None:
            update = update.where(parked.c.aggregate_id == aggregate_id)
        return int(await self._run(lambda conn: conn.execute(update).rowcount))

    async def unpark(self, consumer: str, event_ids: Sequence[str]) -> None:
        mine = sa.and_(parked.c.consumer == consumer, parked.c.event_id.in_(event_ids))
        await self._run(lambda conn: conn.execute(parked.delete().where(mine)))

    async def close(self) -> None:
        await self._engine.dispose()

    async def _run(self, work: Callable[[sa.Connection], T]) -> T:
        """`work(connection)` in one transaction; Unavailable when the database is away."""
        try:
            async with self._engine.begin() as conn:
                return await conn.run_sync(work)
        except Exception as exc:
            if is_unavailable(exc):
                raise Unavailable(UNAVAILABLE) from exc
            raise


def _row(consumer: str, event: StoredEvent, error: str, at: datetime) -> dict[str, object]:
    return {
        "consumer": consumer,
        "event_id": event.event_id,
        "aggregate_id": event.aggregate_id,
        "aggregate_type": event.aggregate_type,
        "version": event.version,
        "event_type": event.event_type,
        "error": error,
        "parked_at": at,
        "retry_asked": False,
    }
