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
from projector.translation import NewRow, change_of

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
        versions: dict[str, int] = {}
        for event in events:
            await self._apply_in_order(conn, event, versions)

    async def catch_up(self, aggregate_ids: AsyncIterator[str]) -> int:
        """Apply whatever the event store has beyond the read model; return how many events."""
        applied = 0
        async for aggregate_id in aggregate_ids:
            async with self._engine.begin() as conn:
                current = await _version_of(conn, aggregate_id)
                missing = await self._load_events(aggregate_id, current)
                await self.apply(conn, missing)
                applied += len(missing)
        return applied

    async def _apply_in_order(
        self, conn: AsyncConnection, event: StoredEvent, versions: dict[str, int]
    ) -> None:
        account_id = event.aggregate_id
        if account_id not in versions:
            versions[account_id] = await _version_of(conn, account_id)
        current = versions[account_id]
        if event.version <= current:
            return
        pending = [event]
        if event.version > current + 1:
            log.warning(
                "gap in %s: at %d, got %d; reading the store", account_id, current, event.version
            )
            pending = await self._load_events(account_id, current)
        for missing in pending:
            if missing.version > event.version:
                break
            await _apply_one(conn, missing)
            versions[account_id] = missing.version


async def _version_of(conn: AsyncConnection, account_id: str) -> int:
    # A locking read: it sees the latest committed row, even one a concurrent restore
    # rewrote, and holds it until this transaction ends.
    query = sa.select(accounts.c.version).where(accounts.c.account_id == account_id)
    version = await conn.scalar(query.with_for_update())
    return int(version) if version is not None else 0


async def _apply_one(conn: AsyncConnection, event: StoredEvent) -> None:
    change = change_of(event)
    if isinstance(change, NewRow):
        await conn.execute(accounts.insert().values(change.values))
        return
    values: dict[str, object] = {
        "version": event.version,
        "balance_cents": accounts.c.balance_cents + change.balance_delta,
    }
    if change.status is not None:
        values["status"] = change.status
    result = await conn.execute(
        accounts.update()
        .where(accounts.c.account_id == event.aggregate_id)
        .where(accounts.c.version == event.version - 1)
        .values(values)
    )
    if result.rowcount != 1:
        raise RuntimeError(f"{event.aggregate_id} is not at version {event.version - 1}")
