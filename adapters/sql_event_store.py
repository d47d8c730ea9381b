"""Event store on a SQL database through SQLAlchemy's asyncio Core (SQLite by default).

A unique (aggregate_id, version) constraint does the optimistic concurrency: of two
writers that read the same version, the second insert fails. The `requests` table's
primary key keeps each request decided once: a request's row is inserted in the
same transaction as its events (or alone, for a refusal), so of two processes
deciding one request, the second insert fails and nothing of it is written.
"""

import dataclasses
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from adapters.sql_engine import create_engine, writer
from adapters.sql_errors import is_conflict, is_unavailable
from adapters.sql_types import UtcDateTime
from adapters.store_layout import EarlierStoreLayout
from core.errors import ConcurrencyError, Unavailable
from core.event_store import EventStore, check_contiguous
from core.events import StoredEvent
from core.requests import MAX_KEY_LENGTH, Outcome, Refusal, Request, RequestAlreadyDecided

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
    sa.Column("request_id", sa.String(128), nullable=False),
    sa.Column("payload", sa.LargeBinary, nullable=False),
    # The outbox flag: appended False, set once the bus has the event.
    sa.Column("published", sa.Boolean, nullable=False, default=False),
    sa.UniqueConstraint("aggregate_id", "version", name="uq_events_aggregate_version"),
    sa.Index("ix_events_unpublished", "published", "occurred_at"),
)
requests = sa.Table(
    "requests",
    metadata,
    sa.Column("request_key", sa.String(MAX_KEY_LENGTH), primary_key=True),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("aggregate_id", sa.String(64), nullable=False),
    sa.Column("version", sa.BigInteger, nullable=False),
    sa.Column("refusal_kind", sa.String(32), nullable=True),
    sa.Column("refusal_message", sa.Text, nullable=True),
    sa.Column("decided_at", UtcDateTime(), nullable=False),
)
UNAVAILABLE = "the event store is unavailable"


class SqlEventStore(EventStore):
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._writer = writer(engine)

    @classmethod
    async def connect(cls, url: str) -> "SqlEventStore":
        engine = create_engine(url)
        try:
            async with engine.begin() as conn:
                await conn.run_sync(_refuse_earlier_layout)
                await conn.run_sync(metadata.create_all)
        except Exception as exc:
            await engine.dispose()
            if is_unavailable(exc):
                raise Unavailable(UNAVAILABLE) from exc
            raise
        return cls(engine)

    async def append(
        self, events_: Sequence[StoredEvent], expected_version: int, request: Request
    ) -> None:
        if not events_:
            return
        check_contiguous(events_, expected_version)
        record = _request_row(request, events_[-1].aggregate_id, events_[-1].version)
        async with self._writing() as conn:
            await _insert_request(conn, record)
            try:
                await conn.execute(events.insert(), [_to_row(e) for e in events_])
            except IntegrityError as exc:
                raise ConcurrencyError(
                    f"{events_[0].aggregate_id} is no longer at version {expected_version}"
                ) from exc

    async def record_refusal(
        self, request: Request, aggregate_id: str, version: int, refusal: Refusal
    ) -> None:
        record = _request_row(request, aggregate_id, version, refusal)
        async with self._writing() as conn:
            await _insert_request(conn, record)

    async def outcome(self, request_key: str) -> Outcome | None:
        query = sa.select(requests).where(requests.c.request_key == request_key)
        rows = await self._select(query)
        return _outcome_of(rows[0]) if rows else None

    async def load(self, aggregate_id: str, after_version: int = 0) -> list[StoredEvent]:
        query = (
            sa.select(events)
            .where(events.c.aggregate_id == aggregate_id, events.c.version > after_version)
            .order_by(events.c.version)
        )
        return [_from_row(row) for row in await self._select(query)]

    async def unpublished(self, older_than: datetime, limit: int) -> list[StoredEvent]:
        query = (
            sa.select(events)
            .where(events.c.published.is_(False), events.c.occurred_at < older_than)
            .order_by(events.c.aggregate_id, events.c.version)
            .limit(limit)
        )
        return [_from_row(row) for row in await self._select(query)]

    async def mark_published(self, event_ids: Sequence[str]) -> None:
        update = events.update().where(events.c.event_id.in_(event_ids)).values(published=True)
        async with self._writing() as conn:
            await conn.execute(update)

    @asynccontextmanager
    async def _writing(self) -> AsyncIterator[AsyncConnection]:
        """A write transaction. A lost race (deadlock, lock wait given up) becomes
        ConcurrencyError, which callers retry; a store failure becomes Unavailable."""
        try:
            async with self._writer.begin() as conn:
                yield conn
        except Exception as exc:
            if is_conflict(exc):
                raise ConcurrencyError("a concurrent write to the event store won") from exc
            if is_unavailable(exc):
                raise Unavailable(UNAVAILABLE) from exc
            raise

    async def _select(self, query: sa.Select[Any]) -> list[sa.RowMapping]:
        try:
            async with self._engine.connect() as conn:
                return list((await conn.execute(query)).mappings())
        except Exception as exc:
            if is_unavailable(exc):
                raise Unavailable(UNAVAILABLE) from exc
            raise

    async def aggregate_ids(self) -> AsyncIterator[str]:
        query = sa.select(events.c.aggregate_id).where(events.c.version == 1)
        async with self._engine.connect() as conn:
            result = await conn.stream(query.order_by(events.c.position))
            async for row in result:
                yield row.aggregate_id

    async def close(self) -> None:
        await self._engine.dispose()


def _refuse_earlier_layout(conn: sa.Connection) -> None:
    """Refuse a store written before requests had their own table (events then carried a
    request_fingerprint column): appending to it would fail on every command."""
    inspector = sa.inspect(conn)
    if not inspector.has_table("events"):
        return
    if "request_fingerprint" in {c["name"] for c in inspector.get_columns("events")}:
        raise EarlierStoreLayout(
            "this event store was written by an earlier Techbank, before requests had their "
            "own table; start with an empty store (move data/ aside for the embedded default)"
        )


async def _insert_request(conn: AsyncConnection, record: dict[str, object]) -> None:
    try:
        await conn.execute(requests.insert().values(record))
    except IntegrityError as exc:
        raise RequestAlreadyDecided(record["request_key"]) from exc


def _request_row(
    request: Request, aggregate_id: str, version: int, refusal: Refusal | None = None
) -> dict[str, object]:
    return {
        "request_key": request.key,
        "fingerprint": request.fingerprint,
        "aggregate_id": aggregate_id,
        "version": version,
        "refusal_kind": refusal.kind if refusal else None,
        "refusal_message": refusal.message if refusal else None,
        "decided_at": datetime.now(UTC),
    }


def _outcome_of(row: sa.RowMapping) -> Outcome:
    refusal = None
    if row["refusal_kind"] is not None:
        refusal = Refusal(row["refusal_kind"], row["refusal_message"])
    return Outcome(row["fingerprint"], row["aggregate_id"], int(row["version"]), refusal)


def _to_row(event: StoredEvent) -> dict[str, object]:
    return {**dataclasses.asdict(event), "published": False}


def _from_row(row: sa.RowMapping) -> StoredEvent:
    fields = dict(row)
    del fields["position"], fields["published"]
    return StoredEvent(**fields)
