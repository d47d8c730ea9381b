"""The account reader on the embedded default's SQLite file, through the standard sqlite3.

Reads run on the event loop's own thread, without a hop to a worker thread: a lookup
by primary key in a local file takes microseconds, several times less than handing it
to a thread and back, and in WAL mode a reader never waits for the writer (the
projector, in another process). The busy timeout is short all the same, so that a
rare wait (the WAL being recovered after a crash) fails the call as UNAVAILABLE
rather than holding the loop.
"""

import functools
import sqlite3
from collections.abc import Sequence

from sqlalchemy.engine import make_url

from adapters.sql_engine import create_engine
from adapters.sql_errors import is_unavailable
from bank.read_schema import create_schema
from core.errors import Unavailable
from query_server.account_reader import (
    AccountReader,
    BalancePosition,
    Comparison,
    StoredAccount,
)
from query_server.page_sql import (
    LIVE_GENERATION,
    PageSql,
    Parameters,
    balance_page,
    chunks,
    page_sql,
)
from query_server.sql_reader import UNAVAILABLE_MESSAGE

BUSY_TIMEOUT_SECONDS = 0.2


class SqliteAccountReader(AccountReader):
    # Asking SQLite whether another connection committed costs microseconds (no I/O).
    watch_interval_seconds = 0.001

    def __init__(self, path: str) -> None:
        self._db = sqlite3.connect(path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None)
        self._db.execute("PRAGMA query_only = 1")

    @classmethod
    async def connect(cls, url: str) -> "SqliteAccountReader":
        """Open the file for reading only, once the tables exist (created here if not yet)."""
        engine = create_engine(url)
        try:
            await create_schema(engine)
            return cls(str(make_url(url).database))
        except Exception as error:
            if is_unavailable(error) or isinstance(error, sqlite3.OperationalError):
                raise Unavailable(UNAVAILABLE_MESSAGE) from error
            raise
        finally:
            await engine.dispose()

    async def close(self) -> None:
        self._db.close()

    def _sql(self) -> PageSql:
        """The statements of the live generation, looked up at each query: a read of one
        row of a local file costs microseconds."""
        try:
            (live,) = self._db.execute(LIVE_GENERATION).fetchone()
        except sqlite3.OperationalError as error:
            raise Unavailable(UNAVAILABLE_MESSAGE) from error
        return _sql_of(live)

    async def find_by_id(self, account_id: str) -> StoredAccount | None:
        found = self._read(f"{self._sql().accounts} WHERE account_id = ?", (account_id,))
        return found[0] if found else None

    async def find_many(self, account_ids: Sequence[str]) -> list[StoredAccount]:
        found = []
        for chunk in chunks(account_ids):
            marks = ", ".join("?" * len(chunk))
            query = f"{self._sql().accounts} WHERE account_id IN ({marks})"
            found += self._read(query, tuple(chunk))
        return found

    async def change_marker(self) -> int | None:
        try:
            return int(self._db.execute("PRAGMA data_version").fetchone()[0])
        except sqlite3.OperationalError as error:
            raise Unavailable(UNAVAILABLE_MESSAGE) from error

    async def ping(self) -> None:
        self._read(f"{self._sql().accounts} LIMIT 1", ())

    async def find_by_holder(
        self, holder: str, after_account_id: str | None, limit: int
    ) -> list[bytes]:
        if after_account_id is None:
            return self._wires(self._sql().by_holder, (holder, limit))
        return self._wires(self._sql().by_holder_after, (holder, after_account_id, limit))

    async def find_with_balance(
        self,
        comparison: Comparison,
        balance_cents: int,
        after: BalancePosition | None,
        limit: int,
    ) -> list[bytes]:
        return self._wires(*balance_page(self._sql(), comparison, balance_cents, after, limit))

    async def page_after(self, after_account_id: str | None, limit: int) -> list[bytes]:
        if after_account_id is None:
            return self._wires(self._sql().first_page, (limit,))
        return self._wires(self._sql().next_page, (after_account_id, limit))

    async def movements_after(self, account_id: str, after_version: int, limit: int) -> list[bytes]:
        return self._wires(self._sql().movements_after, (account_id, after_version, limit))

    def _wires(self, query: str, parameters: Parameters) -> list[bytes]:
        try:
            return [wire for (wire,) in self._db.execute(query, parameters).fetchall()]
        except sqlite3.OperationalError as error:
            raise Unavailable(UNAVAILABLE_MESSAGE) from error

    def _read(self, query: str, parameters: Parameters) -> list[StoredAccount]:
        try:
            rows = self._db.execute(query, parameters).fetchall()
        except sqlite3.OperationalError as error:
            raise Unavailable(UNAVAILABLE_MESSAGE) from error
        return list(map(StoredAccount._make, rows))


@functools.cache
def _sql_of(generation: int) -> PageSql:
    return page_sql("?", exact_holder="holder = ?", generation=generation)
