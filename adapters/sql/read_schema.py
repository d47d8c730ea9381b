"""The read database's tables, shared by the projector (writer) and the query server (reader).

The same definitions create the schema on SQLite and on MySQL; `holder` compares
byte for byte on MySQL (utf8mb4_bin) so a lookup matches the holder exactly. The
accounts and movements tables belong to a generation (adapters.sql.read_generations); the
tables here are the read model's own.
"""

import asyncio
import logging
import random
import time
from collections.abc import Callable
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy import exc
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.sql.engine import writer
from adapters.sql.errors import is_denied
from adapters.sql.read_generations import FIRST, Generation, is_generation_table, tables_of

log = logging.getLogger(__name__)
SCHEMA_POLL_SECONDS = 0.5
CREATE_ATTEMPTS = 8
# What MySQL and MariaDB answer a CREATE, or a look at a table, while another process
# is creating (or, finding an older layout, dropping) the tables at that moment.
CREATE_RACE_SIGNS = (
    "already exists",
    "concurrent DDL",
    "Table definition has changed",
    "doesn't exist",
    "Deadlock found",
    "database is locked",  # SQLite, when a deferred transaction cannot take the write lock
    "Duplicate entry",  # two processes writing the first generations row
    "UNIQUE constraint failed",
)
T = TypeVar("T")

metadata = sa.MetaData()

# Where the projector has read up to, per partition, written with each batch's effects.
consumer_offsets = sa.Table(
    "projector_offsets",
    metadata,
    sa.Column("topic", sa.String(200), primary_key=True),
    sa.Column("partition_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("next_offset", sa.BigInteger, nullable=False),
)


# Which generation is live, and which (if any) a rebuild is building: one row, which every
# batch of the projector reads under a shared lock and a rebuild changes under an
# exclusive one, so that no batch misses a generation that starts or ends.
generations = sa.Table(
    "read_model_generations",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("live", sa.Integer, nullable=False),
    sa.Column("building", sa.Integer, nullable=True),
)
THE_ROW = generations.c.id == 1

# What the rows mean, beyond their columns (2: `wire` holds the account framed as a list
# element; 3: on SQLite, clustered on the account id; 4: the movements table;
# 5: generations). A read model of another layout is dropped and rebuilt from the event
# store.
LAYOUT = 5
layout = sa.Table("read_model_layout", metadata, sa.Column("version", sa.Integer, nullable=False))


async def create_schema(engine: AsyncEngine) -> None:
    """Create the tables that do not exist yet; safe to run at every start. A user that
    may only read (the query server's) waits instead until the projector has created them."""
    denied = await _denied_creating(engine)
    if denied is not None:
        log.info("waiting for the projector to create the read model's tables: %s", denied.orig)
    while denied is not None:
        await asyncio.sleep(SCHEMA_POLL_SECONDS)
        denied = await _denied_creating(engine)


async def _denied_creating(engine: AsyncEngine) -> exc.DBAPIError | None:
    try:
        await _run_creating(engine, _create)
    except exc.DBAPIError as error:
        if is_denied(error):
            return error
        raise
    return None


async def prepare_read_model(engine: AsyncEngine) -> bool:
    """Create the read model's tables, first dropping those of an earlier layout (they
    hold nothing the event store cannot give again). True when the read model holds no
    account yet: the caller fills it from the event store."""
    return bool(await _run_creating(engine, prepare_tables))


async def _run_creating(engine: AsyncEngine, create: Callable[[sa.Connection], T]) -> T:
    """Run `create` in a transaction; the processes of a system start together. On SQLite
    the transaction holds the write lock from its start (the others wait for it); MySQL
    commits each CREATE on its own, so `create` runs again when another process created
    a table between its look and its CREATE."""
    for attempt in range(CREATE_ATTEMPTS):
        try:
            async with writer(engine).begin() as conn:
                return await conn.run_sync(create)
        except exc.DBAPIError as error:
            if not _racing(error) or attempt == CREATE_ATTEMPTS - 1:
                raise
            log.info("another process created the read model's tables meanwhile; looking again")
            await asyncio.sleep(_pause(attempt))
    raise AssertionError("unreachable")


def _pause(attempt: int) -> float:
    """A growing, random pause before looking again: processes that start together and
    look again at once meet again in the same DDL (MariaDB: "concurrent DDL")."""
    return float(random.uniform(0.01, 0.05) * 2**attempt)


def prepare_read_model_sync(engine: sa.Engine) -> bool:
    """prepare_read_model on a synchronous engine (the embedded projector's SQLite file),
    looking again like _run_creating when another process created the tables meanwhile."""
    for attempt in range(CREATE_ATTEMPTS):
        try:
            with engine.begin() as conn:
                return prepare_tables(conn)
        except exc.DBAPIError as error:
            if not _racing(error) or attempt == CREATE_ATTEMPTS - 1:
                raise
            log.info("another process created the read model's tables meanwhile; looking again")
            time.sleep(_pause(attempt))
    raise AssertionError("unreachable")


def _racing(error: exc.DBAPIError) -> bool:
    return any(sign in str(error.orig) for sign in CREATE_RACE_SIGNS)


def prepare_tables(conn: sa.Connection) -> bool:
    """prepare_read_model, on a synchronous connection."""
    names = sa.inspect(conn).get_table_names()
    if any(is_generation_table(name) for name in names) and _earlier_layout(conn):
        log.warning("the read model is of an earlier layout; dropping it to rebuild it")
        for table in reversed(metadata.sorted_tables):
            table.drop(conn, checkfirst=True)
        for name in filter(is_generation_table, names):
            conn.execute(sa.text(f"DROP TABLE {conn.dialect.identifier_preparer.quote(name)}"))
    live = _create(conn)
    return conn.execute(sa.select(live.accounts.c.account_id).limit(1)).first() is None


def _create(conn: sa.Connection) -> Generation:
    """Create what is missing; the live generation's tables."""
    metadata.create_all(conn)
    if _layout_of(conn) is None:
        conn.execute(layout.insert().values(version=LAYOUT))
    live = conn.scalar(sa.select(generations.c.live).where(THE_ROW))
    if live is None:
        live = FIRST
        create_generation(conn, live)
        conn.execute(generations.insert().values(id=1, live=live, building=None))
    return tables_of(int(live))


def live_tables(conn: sa.Connection) -> Generation:
    """The tables the queries read now."""
    return tables_of(conn.execute(sa.select(generations.c.live).where(THE_ROW)).one().live)


def create_generation(conn: sa.Connection, generation: int) -> Generation:
    """Create a generation's tables, unless they exist."""
    tables = tables_of(generation)
    tables.accounts.create(conn, checkfirst=True)
    tables.movements.create(conn, checkfirst=True)
    return tables


def drop_generation(conn: sa.Connection, generation: int) -> None:
    tables = tables_of(generation)
    tables.movements.drop(conn, checkfirst=True)
    tables.accounts.drop(conn, checkfirst=True)


def _earlier_layout(conn: sa.Connection) -> bool:
    """Whether the tables are of an earlier layout: no layout table (layout 1 kept none),
    or another version in it. An empty one is this layout's, its row not written yet:
    another process is creating the tables now, or one stopped in between."""
    if not sa.inspect(conn).has_table(layout.name):
        return True
    found = _layout_of(conn)
    return found is not None and found != LAYOUT


def _layout_of(conn: sa.Connection) -> int | None:
    if not sa.inspect(conn).has_table(layout.name):
        return None
    found = conn.scalar(sa.select(sa.func.max(layout.c.version)))
    return int(found) if found is not None else None
