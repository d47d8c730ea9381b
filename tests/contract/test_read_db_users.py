"""Least privilege on the real MySQL-protocol server (MariaDB here): the projector's user
may write the read database, the query server's may only read it, and a password shows
in no error."""

import asyncio
import traceback
from collections.abc import AsyncIterator, Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy import exc
from sqlalchemy.engine import make_url

from adapters.factories import open_account_reader, open_read_model
from adapters.sql.engine import create_engine
from adapters.sql.errors import is_denied
from adapters.sql.reader import MysqlAccountReader
from bank.account_reader import NoReadModel
from harness.stack import ReadDatabase, scratch_read_database
from query_server.bootstrap import until_the_read_model_exists

WRITES = [
    "INSERT INTO projector_offsets VALUES ('t', 0, 1)",
    "UPDATE projector_offsets SET next_offset = 2",
    "DELETE FROM projector_offsets",
    "CREATE TABLE probe (id INT)",
    "CREATE INDEX by_offset ON projector_offsets (next_offset)",
    "DROP TABLE projector_offsets",
]
SCHEMA_SECONDS = 10.0


@pytest.fixture
def database() -> Iterator[ReadDatabase]:
    with scratch_read_database("privileges") as created:
        yield created


@pytest.fixture
async def prepared(database: ReadDatabase) -> AsyncIterator[ReadDatabase]:
    """The read model's tables, as the projector creates them."""
    read_model, _ = await open_read_model(database.writer_url)
    await read_model.close()
    yield database


async def execute(url: str, statement: str) -> None:
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(sa.text(statement))
    finally:
        await engine.dispose()


async def test_the_query_servers_user_may_read(prepared: ReadDatabase) -> None:
    await execute(prepared.reader_url, "SELECT * FROM accounts_g1, movements_g1")
    await execute(prepared.reader_url, "SELECT live FROM read_model_generations")
    reader = await MysqlAccountReader.connect(prepared.reader_url)
    try:
        assert await reader.find_by_id("nobody") is None
    finally:
        await reader.close()


@pytest.mark.parametrize("statement", WRITES)
async def test_the_query_servers_user_may_not_write(prepared: ReadDatabase, statement: str) -> None:
    with pytest.raises(exc.DBAPIError) as refused:
        await execute(prepared.reader_url, statement)
    assert is_denied(refused.value)


async def test_the_projectors_user_may_write(prepared: ReadDatabase) -> None:
    for statement in WRITES:
        await execute(prepared.writer_url, statement)


async def test_the_query_server_waits_for_the_projector_to_create_the_tables(
    database: ReadDatabase,
) -> None:
    reader = await open_account_reader(database.reader_url)
    with pytest.raises(NoReadModel):  # it creates none: its user may not, and need not
        await reader.find_by_id("nobody")
    url, waiting = database.reader_url, 60.0
    ready = asyncio.create_task(until_the_read_model_exists(reader, url, waiting))
    await asyncio.sleep(1.0)
    assert not ready.done()
    read_model, _ = await open_read_model(database.writer_url)
    await read_model.close()
    await asyncio.wait_for(ready, SCHEMA_SECONDS)
    assert await reader.find_by_id("nobody") is None
    await reader.close()


async def test_a_refused_password_shows_in_no_error(prepared: ReadDatabase) -> None:
    wrong = make_url(prepared.reader_url).set(password="not-the-password-42")
    url = wrong.render_as_string(hide_password=False)
    with pytest.raises(Exception) as refused:
        await open_account_reader(url)
    assert "not-the-password-42" not in "".join(traceback.format_exception(refused.value))
