"""The account reader on the embedded default's SQLite file, through the standard sqlite3.

Reads run on the event loop's own thread, without a hop to a worker thread: a lookup
by primary key in a local file takes microseconds, several times less than handing it
to a thread and back, and in WAL mode a reader never waits for the writer (the
projector, in another process). The busy timeout is short all the same, so that a
rare wait (the WAL being recovered after a crash) fails the call as UNAVAILABLE
rather than holding the loop. The file is opened read-only, and only once it exists:
the projector creates it and its tables, never this reader.
"""

import contextlib
import functools
import os
import sqlite3
import urllib.request
from collections.abc import Sequence

from sqlalchemy.engine import make_url

from adapters.sql.read_generations import (
    LIVE_GENERATION,
    PageSql,
    Parameters,
    balance_page,
    chunks,
    page_sql,
)
from bank.account_reader import (
    UNAVAILABLE_MESSAGE,
    AccountReader,
    BalancePosition,
    Comparison,
    NoReadModel,
    StoredAccount,
)
from core.errors import Unavailable

BUSY_TIMEOUT_SECONDS = 0.2


class SqliteAccountReader(AccountReader):
    # Asking SQLite whether another connection committed costs microseconds (no I/O).
    watch_interval_seconds = 0.001

    def __init__(self, path: str) -> None:
        self._path = os.path.abspath(path)
        self._opened: sqlite3.Connection | None = None

    @classmethod
    async def connect(cls, url: str) -> "SqliteAccountReader":
        """A reader of the file `url` names, opened now if it exists (else at the first
        read after the projector created it)."""
        reader = cls(str(make_url(url).database))
        with contextlib.suppress(NoReadModel):
            reader._db()  # a file there that SQLite cannot open is unavailable now
        return reader

    def _db(self) -> sqlite3.Connection:
        """The connection, read-only: opening it never creates the file."""
        if self._opened is None:
            if not os.path.exists(self._path):
                raise NoReadModel()
            try:
                where = f"file:{urllib.request.pathname2url(self._path)}?mode=ro"
                self._opened = sqlite3.connect(
                    where, uri=True, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None
                )
            except sqlite3.OperationalError as error:
                raise Unavailable(UNAVAILABLE_MESSAGE) from error
        return self._opened

    async def close(self) -> None:
        if self._opened is not None:
            self._opened.close()

    def _sql(self) -> PageSql:
        """The statements of the live generation, looked up at each query: a read of one
        row of a local file costs microseconds."""
        try:
            found = self._db().execute(LIVE_GENERATION).fetchone()
        except sqlite3.OperationalError as error:
            if "no such table" in str(error):
                raise NoReadModel() from error
            raise Unavailable(UNAVAILABLE_MESSAGE) from error
        if found is None:
            raise NoReadModel()
        return _sql_of(found[0])

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
            return int(self._db().execute("PRAGMA data_version").fetchone()[0])
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
            return [wire for (wire,) in self._db().execute(query, parameters).fetchall()]
        except sqlite3.OperationalError as error:
            raise Unavailable(UNAVAILABLE_MESSAGE) from error

    def _read(self, query: str, parameters: Parameters) -> list[StoredAccount]:
        try:
            rows = self._db().execute(query, parameters).fetchall()
        except sqlite3.OperationalError as error:
            raise Unavailable(UNAVAILABLE_MESSAGE) from error
        return list(map(StoredAccount._make, rows))


@functools.cache
def _sql_of(generation: int) -> PageSql:
    return page_sql("?", exact_holder="holder = ?", generation=generation)
