"""`python -m projector.restore`: rebuild the read database from the event store.

An operator's command rather than an RPC: it needs the event store and the read
database, which no client-facing server should hand to callers, and it reports
progress on the operator's terminal. It is safe while commands keep arriving and
the projector keeps running: each account is rebuilt in its own transaction with
its row locked, from every event stored at that moment, so the rebuilt row is at
least as new as anything the projector wrote, and the projector skips as
duplicates the events it then receives up to that version.
"""

import asyncio
import logging
import time

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.factories import open_event_store
from adapters.settings import Settings, configure_logging
from adapters.sql_engine import create_engine, writer
from core.event_store import EventStore
from projector.fold import fold
from projector.retry import retry_transient
from projector.schema import accounts, prepare_read_model

log = logging.getLogger("projector.restore")
PROGRESS_EVERY_SECONDS = 2.0


async def restore_account(engine: AsyncEngine, store: EventStore, account_id: str) -> int:
    """Replace the account's row with the fold of its stream; return its number of events."""

    async def attempt() -> int:
        async with writer(engine).begin() as conn:
            key = accounts.c.account_id == account_id
            await conn.execute(sa.select(accounts.c.version).where(key).with_for_update())
            events = await store.load(account_id)
            row = fold(events)
            await conn.execute(accounts.delete().where(key))
            if row is not None:
                await conn.execute(accounts.insert().values(row))
            return len(events)

    return await retry_transient(attempt)


async def restore(engine: AsyncEngine, store: EventStore) -> tuple[int, int]:
    """Rebuild every account the store knows and drop rows it does not; return the counts."""
    restored = events = 0
    started = last_report = time.monotonic()
    async for account_id in store.aggregate_ids():
        events += await restore_account(engine, store, account_id)
        restored += 1
        if time.monotonic() - last_report >= PROGRESS_EVERY_SECONDS:
            last_report = time.monotonic()
            log.info(
                "restored %d accounts (%d events) in %.1f s",
                restored,
                events,
                last_report - started,
            )
    dropped = await _drop_rows_unknown_to(store, engine)
    log.info(
        "restore done: %d accounts, %d events, %d stray rows dropped, in %.1f s",
        restored,
        events,
        dropped,
        time.monotonic() - started,
    )
    return restored, events


async def _drop_rows_unknown_to(store: EventStore, engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        ids = list(await conn.scalars(sa.select(accounts.c.account_id)))
    dropped = 0
    for account_id in ids:
        if not await store.load(account_id):
            await restore_account(engine, store, account_id)
            dropped += 1
    return dropped


async def main() -> None:
    settings = Settings()
    configure_logging(settings)
    store = await open_event_store(settings.event_store_url)
    engine = create_engine(settings.read_db_url)
    try:
        await prepare_read_model(engine)
        await restore(engine, store)
    finally:
        await engine.dispose()
        await store.close()


if __name__ == "__main__":
    asyncio.run(main())
