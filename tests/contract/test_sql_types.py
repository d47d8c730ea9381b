"""The SQL adapters' column types: a moment comes back in UTC (the databases keep no zone)."""

from pathlib import Path

import sqlalchemy as sa

from adapters.sql.engine import create_engine
from adapters.sql.read_generations import FIRST, tables_of
from adapters.sql.read_schema import create_schema
from tests.contract.account_reader_contract import OPENED_AT, row

accounts = tables_of(FIRST).accounts


async def test_opening_time_is_read_back_as_utc(tmp_path: Path) -> None:
    """The column type gives the zone back (adapters/sql/engine.py)."""
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/read.db")
    await create_schema(engine)  # as the projector does
    async with engine.begin() as conn:
        await conn.execute(accounts.insert().values(row()))
        raw = await conn.scalar(sa.select(accounts.c.opened_at))
    assert raw == OPENED_AT and raw.tzinfo is not None
    await engine.dispose()
