"""Event store on a SQL database through SQLAlchemy's asyncio Core (MySQL, PostgreSQL).

A unique (aggregate_id, version) constraint does the optimistic concurrency: of two
writers that read the same version, the second insert fails. The `requests` table's
primary key keeps each request decided once: a request's row is inserted in the
same transaction as its events (or alone, for a refusal), so of two processes
deciding one request, the second insert fails and nothing of it is written. Snapshots
are in the `snapshots` table, written portably: the later snapshot of an aggregate
wins, whichever of two writers commits first.
"""

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from adapters.sql.engine import create_engine, writer
from adapters.sql.errors import is_conflict, is_unavailable
from adapters.sql.event_tables import (
    event_of,
    event_row,
    events,
    metadata,
    outcome_of,
    refuse_earlier_layout,
    request_row,
    requests,
    snapshots,
)
from core.aggregate import Snapshot
from core.errors import ConcurrencyError, Unavailable
from core.event_store import EventStore, OutboxPosition, check_contiguous, store_one_by_one
from core.events import StoredEvent
from core.requests import Decision, Outcome, Refusal, Request, RequestAlreadyDecided


def newer(snapshot: Snapshot) -> sa.Update:
    """Replace the aggregate's snapshot if it is older than `snapshot`."""
    return (
        snapshots.update()
        .where(
            snapshots.c.aggregate_id == snapshot.aggregate_id,
            snapshots.c.version < snapshot.version,
        )
        .values(version=snapshot.version, schema=snapshot.schema, state=snapshot.state)
    )


async def save(conn: AsyncConnection, snapshot: Snapshot) -> None:
    """In one transaction: replace an older snapshot, or insert the first. Losing the
    insert to another writer means a row exists now: try replacing it once more."""
    if (await conn.execute(newer(snapshot))).rowcount:
        return
    try:
        async with conn.begin_nested():
            await conn.execute(snapshots.insert().values(**_row(snapshot)))
    except IntegrityError:
        await conn.execute(newer(snapshot))


def latest(aggregate_id: str) -> sa.Select[Any]:
    return sa.select(snapshots).where(snapshots.c.aggregate_id == aggregate_id)


def snapshot_of(row: Any) -> Snapshot:
    return Snapshot(row["aggregate_id"], int(row["version"]), row["schema"], bytes(row["state"]))


def _row(snapshot: Snapshot) -> dict[str, object]:
    return {
        "aggregate_id": snapshot.aggregate_id,
        "version": snapshot.version,
        "schema": snapshot.schema,
        "state": snapshot.state,
    }


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
                await conn.run_sync(refuse_earlier_layout)
                await conn.run_sync(metadata.create_all)
        except Exception as exc:
            await engine.dispose()
            if is_unavailable(exc):
                raise Unavailable(UNAVAILABLE) from exc
            raise
        return cls(engine)

    async def store_in_turn(self, decisions: Sequence[Decision], expected_version: int) -> int:
        return await store_one_by_one(decisions, expected_version, self._store_one)

    async def _store_one(self, decision: Decision, version: int) -> None:
        if decision.refusal is not None:
            await self._record_refusal(
                decision.request, decision.aggregate_id, decision.version, decision.refusal
            )
        else:
            await self._append(decision.events, version, decision.request)

    async def _append(
        self, events_: Sequence[StoredEvent], expected_version: int, request: Request
    ) -> None:
        if not events_:
            return
        check_contiguous(events_, expected_version)
        record = request_row(request, events_[-1].aggregate_id, events_[-1].version)
        async with self._writing() as conn:
            await _insert_request(conn, record)
            try:
                await conn.execute(events.insert(), [event_row(e) for e in events_])
            except IntegrityError as exc:
                raise ConcurrencyError(
                    f"{events_[0].aggregate_id} is no longer at version {expected_version}"
                ) from exc

    async def _record_refusal(
        self, request: Request, aggregate_id: str, version: int, refusal: Refusal
    ) -> None:
        record = request_row(request, aggregate_id, version, refusal)
        async with self._writing() as conn:
            await _insert_request(conn, record)

    async def outcome(self, request_key: str) -> Outcome | None:
        query = sa.select(requests).where(requests.c.request_key == request_key)
        rows = await self._select(query)
        return outcome_of(rows[0]) if rows else None

    async def ping(self) -> None:
        await self._select(sa.select(events.c.position).limit(1))

    async def load(self, aggregate_id: str, after_version: int = 0) -> list[StoredEvent]:
        query = (
            sa.select(events)
            .where(events.c.aggregate_id == aggregate_id, events.c.version > after_version)
            .order_by(events.c.version)
        )
        return [event_of(row) for row in await self._select(query)]

    async def unpublished(
        self, older_than: datetime, limit: int, after: OutboxPosition | None = None
    ) -> list[StoredEvent]:
        query = (
            sa.select(events)
            .where(events.c.published.is_(False), events.c.occurred_at < older_than)
            .order_by(events.c.aggregate_id, events.c.version)
            .limit(limit)
        )
        if after is not None:
            query = query.where(sa.tuple_(events.c.aggregate_id, events.c.version) > after)
        return [event_of(row) for row in await self._select(query)]

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

    async def save_snapshot(self, snapshot: Snapshot) -> None:
        async with self._writing() as conn:
            await save(conn, snapshot)

    async def load_snapshot(self, aggregate_id: str) -> Snapshot | None:
        rows = await self._select(latest(aggregate_id))
        return snapshot_of(rows[0]) if rows else None

    async def aggregate_ids(self) -> AsyncIterator[str]:
        query = sa.select(events.c.aggregate_id).where(events.c.version == 1)
        async with self._engine.connect() as conn:
            result = await conn.stream(query.order_by(events.c.position))
            async for row in result:
                yield row.aggregate_id

    async def close(self) -> None:
        await self._engine.dispose()


async def _insert_request(conn: AsyncConnection, record: dict[str, object]) -> None:
    try:
        await conn.execute(requests.insert().values(record))
    except IntegrityError as exc:
        raise RequestAlreadyDecided(record["request_key"]) from exc
