"""The read database's tables, shared by the projector (writer) and the query server (reader).

The same definitions create the schema on SQLite and on MySQL; `holder` compares
byte for byte on MySQL (utf8mb4_bin) so a lookup matches the holder exactly.
"""

import asyncio
import logging
from collections.abc import Callable
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy import exc
from sqlalchemy.dialects import mysql
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.sql_engine import writer
from adapters.sql_errors import is_denied
from adapters.sql_types import UtcDateTime
from bank.domain.account import MAX_HOLDER_LENGTH, MAX_REFERENCE_LENGTH

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
)
T = TypeVar("T")

metadata = sa.MetaData()

holder_type = sa.String(MAX_HOLDER_LENGTH).with_variant(
    mysql.VARCHAR(MAX_HOLDER_LENGTH, charset="utf8mb4", collation="utf8mb4_bin"), "mysql"
)

accounts = sa.Table(
    "accounts",
    metadata,
    sa.Column("account_id", sa.String(36), primary_key=True),
    sa.Column("holder", holder_type, nullable=False, index=True),
    sa.Column("account_type", sa.String(16), nullable=False),
    sa.Column("balance_cents", sa.BigInteger, nullable=False, index=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("opened_at", UtcDateTime(), nullable=False),
    sa.Column("version", sa.BigInteger, nullable=False),
    # The account as the query API answers it: an Account message, serialized.
    sa.Column("wire", sa.LargeBinary, nullable=False),
    mysql_charset="utf8mb4",
    # Clustered on the account id, as InnoDB tables are: a page of the FindAll stream is
    # one walk along one B-tree instead of an index walk plus a table lookup per row.
    sqlite_with_rowid=False,
)


reference_type = sa.String(MAX_REFERENCE_LENGTH).with_variant(
    mysql.VARCHAR(MAX_REFERENCE_LENGTH, charset="utf8mb4", collation="utf8mb4_bin"), "mysql"
)

# One row per event of an account: its statement, with the balance after each movement.
movements = sa.Table(
    "movements",
    metadata,
    sa.Column("account_id", sa.String(36), primary_key=True),
    sa.Column("version", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("amount_cents", sa.BigInteger, nullable=False),  # + in, - out
    sa.Column("balance_cents", sa.BigInteger, nullable=False),  # after the movement
    sa.Column("occurred_at", UtcDateTime(), nullable=False),
    sa.Column("reference", reference_type, nullable=False),
    sa.Column("transfer_id", sa.String(36), nullable=False),
    # The movement as the statement answers it: a Movement message, framed as an element.
    sa.Column("wire", sa.LargeBinary, nullable=False),
    mysql_charset="utf8mb4",
    sqlite_with_rowid=False,  # clustered on (account, version): a statement is one walk
)


# Where the projector has read up to, per partition, written with each batch's effects.
consumer_offsets = sa.Table(
    "projector_offsets",
    metadata,
    sa.Column("topic", sa.String(200), primary_key=True),
    sa.Column("partition_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("next_offset", sa.BigInteger, nullable=False),
)


# What the rows mean, beyond their columns (2: `wire` holds the account framed as a list
# element; 3: on SQLite, clustered on the account id; 4: the movements table). A read
# model of another layout is dropped and rebuilt from the event store.
LAYOUT = 4
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
    raise AssertionError("unreachable")


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
    raise AssertionError("unreachable")


def _racing(error: exc.DBAPIError) -> bool:
    return any(sign in str(error.orig) for sign in CREATE_RACE_SIGNS)


def prepare_tables(conn: sa.Connection) -> bool:
    """prepare_read_model, on a synchronous connection."""
    if sa.inspect(conn).has_table(accounts.name) and _earlier_layout(conn):
        log.warning("the read model is of an earlier layout; dropping it to rebuild it")
        for table in reversed(metadata.sorted_tables):
            table.drop(conn, checkfirst=True)
    _create(conn)
    return conn.execute(sa.select(accounts.c.account_id).limit(1)).first() is None


def _create(conn: sa.Connection) -> None:
    metadata.create_all(conn)
    if _layout_of(conn) is None:
        conn.execute(layout.insert().values(version=LAYOUT))


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
