"""Event store on a SQL database through SQLAlchemy's asyncio Core (SQLite by default).

A unique (aggregate_id, version) constraint does the optimistic concurrency: of two
writers that read the same version, the second insert fails.
"""

import dataclasses
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.sql_engine import create_engine
from adapters.sql_types import UtcDateTime
from core.errors import ConcurrencyError, Unavailable
from core.event_store import EventStore, check_contiguous
from core.events import StoredEvent

metadata = sa.MetaData()
events = sa.Table(
    "events",
    metadata,
    sa.Column("position", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("event_id", sa.String(36), nullable=False, unique=True),
    sa.Column("aggregate_id", sa.String(64), nullable=False),
    sa.Column("aggregate_type", sa.String(64), nullable=False),
    sa.Column("version", sa.BigInteger, nullable=False),
    sa.Column("event_type", sa.String(64), nullable=False),
    sa.Column("schema_version", sa.Integer, nullable=False),
    sa.Column("occurred_at", UtcDateTime(), nullable=False),
    sa.Column("request_id", sa.String(128), nullable=False, index=True),
    sa.Column("request_fingerprint", sa.String(64), nullable=False),
    sa.Column("payload", sa.LargeBinary, nullable=False),
    # The outbox flag: appended False, set once the bus has the event.
    sa.Column("published", sa.Boolean, nullable=False, default=False),
    sa.UniqueConstraint("aggregate_id", "version", name="uq_events_aggregate_version"),
    sa.Index("ix_events_unpublished", "published", "occurred_at"),
)


class SqlEventStore(EventStore):
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    @classmethod
    async def connect(cls, url: str) -> "SqlEventStore":
        engine = create_engine(url)
        async with engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
        return cls(engine)

    async def append(self, events_: Sequence[StoredEvent], expected_version: int) -> None:
        if not events_:
            return
        check_contiguous(events_, expected_version)
        rows = [_to_row(e) for e in events_]
        try:
            async with self._engine.begin() as conn:
                await conn.execute(events.insert(), rows)
        except IntegrityError as exc:
            raise ConcurrencyError(
                f"{events_[0].aggregate_id} is no longer at version {expected_version}"
            ) from exc
        except OperationalError as exc:
            raise Unavailable("the event store is unavailable") from exc

    async def load(self, aggregate_id: str, after_version: int = 0) -> list[StoredEvent]:
        query = (
            sa.select(events)
            .where(events.c.aggregate_id == aggregate_id, events.c.version > after_version)
            .order_by(events.c.version)
        )
        return await self._select(query)

    async def find_by_request(self, request_id: str) -> list[StoredEvent]:
        query = sa.select(events).where(events.c.request_id == request_id)
        return await self._select(query.order_by(events.c.position))

    async def unpublished(self, older_than: datetime, limit: int) -> list[StoredEvent]:
        query = (
            sa.select(events)
            .where(events.c.published.is_(False), events.c.occurred_at < older_than)
            .order_by(events.c.aggregate_id, events.c.version)
            .limit(limit)
        )
        return await self._select(query)

    async def mark_published(self, event_ids: Sequence[str]) -> None:
        update = events.update().where(events.c.event_id.in_(event_ids)).values(published=True)
        try:
            async with self._engine.begin() as conn:
                await conn.execute(update)
        except OperationalError as exc:
            raise Unavailable("the event store is unavailable") from exc

    async def _select(self, query: sa.Select[Any]) -> list[StoredEvent]:
        try:
            async with self._engine.connect() as conn:
                result = await conn.execute(query)
                return [_from_row(row) for row in result.mappings()]
        except OperationalError as exc:
            raise Unavailable("the event store is unavailable") from exc

    async def aggregate_ids(self) -> AsyncIterator[str]:
        query = sa.select(events.c.aggregate_id).where(events.c.version == 1)
        async with self._engine.connect() as conn:
            result = await conn.stream(query.order_by(events.c.position))
            async for row in result:
                yield row.aggregate_id

    async def close(self) -> None:
        await self._engine.dispose()


def _to_row(event: StoredEvent) -> dict[str, object]:
    return {**dataclasses.asdict(event), "published": False}


def _from_row(row: sa.RowMapping) -> StoredEvent:
    fields = dict(row)
    del fields["position"], fields["published"]
    return StoredEvent(**fields)
