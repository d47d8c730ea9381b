"""Applies account events to the read database exactly once, in version order.

Each row keeps the version last applied. An event at or below it is a duplicate and
is skipped; one further ahead means events were missed, and those are read back from
the event store first. A batch is applied in one transaction.
"""

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from adapters.sql_engine import writer
from core.events import StoredEvent
from projector.retry import retry_transient
from projector.schema import accounts
from projector.translation import Row, next_row

log = logging.getLogger(__name__)

LoadEvents = Callable[[str, int], Awaitable[list[StoredEvent]]]


class AccountProjection:
    def __init__(self, engine: AsyncEngine, load_events: LoadEvents) -> None:
        self._engine = writer(engine)
        self._load_events = load_events

    async def handle(self, events: Sequence[StoredEvent]) -> None:
        """Apply a batch of events in one transaction."""

        async def attempt() -> None:
            async with self._engine.begin() as conn:
                await self.apply(conn, events)

        await retry_transient(attempt)

    async def apply(self, conn: AsyncConnection, events: Sequence[StoredEvent]) -> None:
        """Apply events within the caller's transaction (which may also record a position)."""
        rows: dict[str, Row | None] = {}
        for event in events:
            await self._apply_in_order(conn, event, rows)

    async def catch_up(self, aggregate_ids: AsyncIterator[str]) -> int:
        """Apply whatever the event store has beyond the read model; return how many events."""
        applied = 0
        async for aggregate_id in aggregate_ids:
            async with self._engine.begin() as conn:
                current = await _row_of(conn, aggregate_id)
                version = current["version"] if current is not None else 0
                missing = await self._load_events(aggregate_id, version)
                await self.apply(conn, missing)
                applied += len(missing)
        return applied

    async def _apply_in_order(
        self, conn: AsyncConnection, event: StoredEvent, rows: dict[str, Row | None]
    ) -> None:
        account_id = event.aggregate_id
        if account_id not in rows:
            rows[account_id] = await _row_of(conn, account_id)
        current = rows[account_id]
        version = current["version"] if current is not None else 0
        if event.version <= version:
            return
        pending = [event]
        if event.version > version + 1:
            log.warning(
                "gap in %s: at %d, got %d; reading the store", account_id, version, event.version
            )
            pending = await self._load_events(account_id, version)
        for missing in pending:
            if missing.version > event.version:
                break
            rows[account_id] = await _apply_one(conn, rows[account_id], missing)


async def _row_of(conn: AsyncConnection, account_id: str) -> Row | None:
    # A locking read: it sees the latest committed row, even one a concurrent restore
    # rewrote, and holds it until this transaction ends (on SQLite the transaction holds
    # the whole database: see adapters.sql_engine.writer).
    query = sa.select(accounts).where(accounts.c.account_id == account_id).with_for_update()
    found = (await conn.execute(query)).mappings().first()
    return dict(found) if found is not None else None


async def _apply_one(conn: AsyncConnection, before: Row | None, event: StoredEvent) -> Row:
    after = next_row(before, event)
    if before is None:
        await conn.execute(accounts.insert().values(after))
        return after
    result = await conn.execute(
        accounts.update()
        .where(accounts.c.account_id == event.aggregate_id)
        .where(accounts.c.version == before["version"])
        .values(after)
    )
    if result.rowcount != 1:
        raise RuntimeError(f"{event.aggregate_id} is not at version {before['version']}")
    return after
