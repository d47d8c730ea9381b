"""One place that turns a database URL into a configured SQLAlchemy async engine, and the
column types every table the SQL adapters and the read model define share.
"""

import os
import sqlite3
import time
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects import mysql
from sqlalchemy.engine import Connection, Dialect, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

# An execution option: transactions of an engine that carries it are writers.
_WRITER = "techbank_writer"
WAL_ATTEMPTS = 100
WAL_PAUSE_SECONDS = 0.05


def create_engine(url: str) -> AsyncEngine:
    """Create an engine; for SQLite, make its folder, and let two processes share the file.

    On SQLite a busy writer makes others wait up to the sqlite3 driver's timeout
    (5 s unless the URL says `?timeout=<seconds>`) before they fail.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "mysql":
        # Fail fast when the server is down, so callers answer UNAVAILABLE promptly.
        return create_async_engine(
            url, pool_pre_ping=True, pool_recycle=3600, connect_args={"connect_timeout": 3}
        )
    if parsed.get_backend_name() != "sqlite":
        return create_async_engine(url, pool_pre_ping=True, pool_recycle=3600)
    if parsed.database and parsed.database != ":memory:":
        os.makedirs(os.path.dirname(os.path.abspath(parsed.database)), exist_ok=True)
    engine = create_async_engine(url)
    event.listen(engine.sync_engine, "connect", _tune_sqlite)
    event.listen(engine.sync_engine, "begin", _begin_sqlite)
    return engine


def writer(engine: AsyncEngine) -> AsyncEngine:
    """The same engine (and pool), for transactions that write after reading.

    On SQLite they take the database's write lock when they begin (BEGIN IMMEDIATE),
    so what they read stays true until they commit: SQLite has no SELECT ... FOR
    UPDATE, and a plain BEGIN would let another process write in between. Elsewhere
    the option changes nothing; row locks (FOR UPDATE) do that work.
    """
    return engine.execution_options(**{_WRITER: True})


def _tune_sqlite(dbapi_connection: Any, _record: Any) -> None:
    # SQLAlchemy, not the driver, begins transactions (see _begin_sqlite). WAL lets the
    # query server read while the projector writes.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        use_wal(cursor)
    finally:
        cursor.close()


def use_wal(cursor: Any) -> None:
    """Switch the file to WAL, which stays set in the file: the first connection does it,
    the others find it done. Switching needs the file to itself and SQLite's busy wait
    does not apply, so a connection opened while another process holds the file (they
    start together) looks again shortly."""
    for _ in range(WAL_ATTEMPTS):
        cursor.execute("PRAGMA journal_mode")
        # fetchall, not fetchone: a statement left unfinished keeps its read lock, which
        # the process committing the other side's tables waits for while we wait for it.
        if cursor.fetchall()[0][0] == "wal":
            return
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error):
                raise
            time.sleep(WAL_PAUSE_SECONDS)
    cursor.execute("PRAGMA journal_mode=WAL")  # a last try, whose error is the caller's


def _begin_sqlite(conn: Connection) -> None:
    writes = conn.get_execution_options().get(_WRITER, False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")


class UtcDateTime(sa.TypeDecorator[datetime]):
    """A moment in UTC, to the microsecond, on SQLite and MySQL alike.

    Neither keeps a zone (their values come back naive) and MySQL's plain DATETIME
    rounds to the second; every time in the system is UTC, so it comes back as such.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> sa.types.TypeEngine[Any]:
        if dialect.name == "mysql":
            return dialect.type_descriptor(mysql.DATETIME(fsp=6))
        return dialect.type_descriptor(self.impl)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None or value.tzinfo is not None:
            return value
        return value.replace(tzinfo=UTC)
