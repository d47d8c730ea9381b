"""One place that turns a database URL into a configured SQLAlchemy async engine."""

import os
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine


def create_engine(url: str) -> AsyncEngine:
    """Create an engine; for SQLite, make its folder, and let two processes share the file."""
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
    return engine


def _tune_sqlite(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets the query server read while the projector writes; the busy timeout makes
    # a writer wait for a lock instead of failing at once.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()
