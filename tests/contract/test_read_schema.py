"""The read model's tables are created by whichever process comes first: the processes
of a system start together, and two may look, find no table, and both create it. On
SQLite the look and the CREATE share one write-locked transaction; MySQL commits each
CREATE alone, and a loser looks again."""

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from adapters.sql import read_schema as schema
from adapters.sql.engine import create_engine
from adapters.sqlite.read_model import SqliteReadModel
from harness.stack import mysql_url, scratch_mysql_database

ROUNDS = 10


async def race(url: str) -> None:
    engines = [create_engine(url) for _ in range(3)]
    try:
        await asyncio.gather(
            schema.create_schema(engines[0]),
            schema.prepare_read_model(engines[1]),
            schema.create_schema(engines[2]),
        )
    finally:
        for engine in engines:
            await engine.dispose()


async def test_processes_creating_the_tables_at_once_on_sqlite_all_succeed(tmp_path: Path) -> None:
    for n in range(ROUNDS):
        await race(f"sqlite+aiosqlite:///{tmp_path}/read-{n}.db")


async def test_the_embedded_projector_and_a_query_server_starting_together_both_succeed(
    tmp_path: Path,
) -> None:
    """The embedded command server prepares the SQLite read model through its own driver
    while the query server creates the same tables through SQLAlchemy. They are separate
    processes: the read model is opened on a thread with an event loop of its own, since
    opening it blocks its loop for a moment (as it does the command server's at start)."""
    for n in range(ROUNDS):
        url = f"sqlite+aiosqlite:///{tmp_path}/read-{n}.db"
        engine = create_engine(url)
        try:
            await asyncio.gather(
                asyncio.to_thread(asyncio.run, open_and_close(url)), schema.create_schema(engine)
            )
        finally:
            await engine.dispose()


async def open_and_close(url: str) -> None:
    read_model, _ = await SqliteReadModel.connect(url)
    await read_model.close()


@pytest.fixture
def mysql_database() -> Iterator[str]:
    with scratch_mysql_database("schema") as name:
        yield name


async def test_processes_creating_the_tables_at_once_on_mysql_all_succeed(
    mysql_database: str,
) -> None:
    url = mysql_url(mysql_database)
    for _ in range(ROUNDS):
        await race(url)
        engine = create_engine(url)
        async with engine.begin() as conn:  # every table, the generations' too: a new database
            names = await conn.run_sync(lambda sync: sa.inspect(sync).get_table_names())
            for name in names:
                await conn.execute(sa.text(f"DROP TABLE {name}"))
        await engine.dispose()
