"""`python -m projector.check`: compare the read database with the fold of the event store.

Prints every account whose row differs from the fold of its events, and every row
the store does not know, then exits 1 if there was any. On a busy system the
projector may simply be behind: --settle-seconds re-checks until then.
"""

import argparse
import asyncio
import sys
import time
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.factories import open_event_store
from adapters.settings import Settings, configure_logging
from adapters.sql_engine import create_engine
from core.event_store import EventStore
from projector.fold import fold
from projector.schema import accounts
from projector.translation import Row


@dataclass(frozen=True)
class Difference:
    account_id: str
    expected: Row | None
    actual: Row | None


async def differences(engine: AsyncEngine, store: EventStore) -> list[Difference]:
    """Every account whose read-model row is not the fold of its stored events."""
    async with engine.connect() as conn:
        result = await conn.execute(sa.select(accounts))
        rows = {row["account_id"]: dict(row) for row in result.mappings()}
    found = []
    async for account_id in store.aggregate_ids():
        expected = fold(await store.load(account_id))
        actual = rows.pop(account_id, None)
        if expected != actual:
            found.append(Difference(account_id, expected, actual))
    found.extend(Difference(account_id, None, row) for account_id, row in rows.items())
    return found


async def check(settings: Settings, settle_seconds: float) -> list[Difference]:
    store = await open_event_store(settings.event_store_url)
    engine = create_engine(settings.read_db_url)
    deadline = time.monotonic() + settle_seconds
    try:
        found = await differences(engine, store)
        while found and time.monotonic() < deadline:
            await asyncio.sleep(0.5)
            found = await differences(engine, store)
        return found
    finally:
        await engine.dispose()
        await store.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--settle-seconds", type=float, default=0.0)
    args = parser.parse_args()
    settings = Settings()
    configure_logging(settings)
    found = asyncio.run(check(settings, args.settle_seconds))
    for diff in found:
        print(f"{diff.account_id}: expected {diff.expected}, read model has {diff.actual}")
    print(f"check: {len(found)} account(s) differ from the event store")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
