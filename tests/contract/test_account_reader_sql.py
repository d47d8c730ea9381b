"""The account reader contract for the SQLAlchemy SqlAccountReader on SQLite."""

from pathlib import Path

import sqlalchemy as sa

from adapters.sql.engine import create_engine
from bank.read_generations import FIRST, tables_of
from bank.read_schema import create_schema
from query_server.account_reader import AccountReader
from query_server.sql_reader import SqlAccountReader
from tests.contract.account_reader_contract import (
    OPENED_AT,
    AccountReaderContract,
    OnSqlite,
    row,
)

# A new read model starts with its first generation, which these tests write directly.
accounts = tables_of(FIRST).accounts


class TestSqlAccountReaderOnSqlite(OnSqlite, AccountReaderContract):
    async def open_reader(self, url: str) -> AccountReader:
        return await SqlAccountReader.connect(url)


async def test_opening_time_is_read_back_as_utc(tmp_path: Path) -> None:
    """The databases keep no zone; the column type gives it back (adapters/sql/types.py)."""
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/read.db")
    await create_schema(engine)  # as the projector does
    reader = await SqlAccountReader.connect(f"sqlite+aiosqlite:///{tmp_path}/read.db")
    async with engine.begin() as conn:
        await conn.execute(accounts.insert().values(row()))
        raw = await conn.scalar(sa.select(accounts.c.opened_at))
    assert raw == OPENED_AT and raw.tzinfo is not None
    await engine.dispose()
    await reader.close()
