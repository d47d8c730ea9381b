"""The account reader on MySQL, through asyncmy's own pool and plain SQL.

SQLAlchemy's result handling and the pool's pre-ping cost more than the lookup
itself, and aiomysql parses rows in pure Python: measured on this machine, a full
scan of the accounts table reads 180,000 rows/s through aiomysql and 950,000 through
asyncmy's Cython protocol; lookups by key 8,400/s against 24,800/s. Connections
run in autocommit, so that each read sees the latest commit
(a transaction left open would keep showing its first snapshot to read-your-write
waits). "holder" is compared with its length as well: MySQL's PAD SPACE
collations match "Ann" with "Ann ", and only the exact holder counts.
"""

import functools
import time
from collections.abc import Callable, Sequence
from typing import Any

import asyncmy
from asyncmy import errors as mysql_errors
from sqlalchemy.engine import make_url

from adapters.sql.read_generations import LIVE_GENERATION, PageSql, balance_page, chunks, page_sql
from bank.account_reader import (
    UNAVAILABLE_MESSAGE,
    AccountReader,
    BalancePosition,
    Comparison,
    NoReadModel,
    StoredAccount,
)
from core.errors import Unavailable

CONNECT_TIMEOUT_SECONDS = 3
POOL_SIZE = 16
# How long the live generation is taken as known before it is read again: after a
# rebuild switches generations, the old one is dropped only well after this.
GENERATION_SECONDS = 0.25
NO_SUCH_TABLE = 1146
Statement = Callable[[PageSql], tuple[str, tuple[Any, ...]]]  # the live tables' -> query
UNREACHABLE = (mysql_errors.OperationalError, mysql_errors.InterfaceError, OSError, TimeoutError)


class MysqlAccountReader(AccountReader):
    def __init__(self, pool: Any) -> None:
        self._pool = pool
        self._live: tuple[PageSql, float] | None = None  # and until when it is trusted

    @classmethod
    async def connect(cls, url: str) -> "MysqlAccountReader":
        """Connect; the tables are the projector's to create (NoReadModel until then)."""
        try:
            return cls(await asyncmy.create_pool(**connect_args(url)))
        except UNREACHABLE as error:
            raise Unavailable(UNAVAILABLE_MESSAGE) from error

    async def close(self) -> None:
        self._pool.close()
        await self._pool.wait_closed()

    async def find_by_id(self, account_id: str) -> StoredAccount | None:
        found = await self._read(
            lambda sql: (f"{sql.accounts} WHERE account_id = %s", (account_id,))
        )
        return found[0] if found else None

    async def find_many(self, account_ids: Sequence[str]) -> list[StoredAccount]:
        found = []
        for chunk in chunks(account_ids):
            marks = ", ".join(["%s"] * len(chunk))
            found += await self._read(
                lambda sql: (f"{sql.accounts} WHERE account_id IN ({marks})", tuple(chunk))  # noqa: B023
            )
        return found

    async def ping(self) -> None:
        await self._rows(lambda sql: (f"{sql.accounts} LIMIT 1", ()))

    async def find_by_holder(
        self, holder: str, after_account_id: str | None, limit: int
    ) -> list[bytes]:
        if after_account_id is None:
            return await self._wires(lambda sql: (sql.by_holder, (holder, holder, limit)))
        return await self._wires(
            lambda sql: (sql.by_holder_after, (holder, holder, after_account_id, limit))
        )

    async def find_with_balance(
        self,
        comparison: Comparison,
        balance_cents: int,
        after: BalancePosition | None,
        limit: int,
    ) -> list[bytes]:
        return await self._wires(
            lambda sql: balance_page(sql, comparison, balance_cents, after, limit)
        )

    async def page_after(self, after_account_id: str | None, limit: int) -> list[bytes]:
        if after_account_id is None:
            return await self._wires(lambda sql: (sql.first_page, (limit,)))
        return await self._wires(lambda sql: (sql.next_page, (after_account_id, limit)))

    async def movements_after(self, account_id: str, after_version: int, limit: int) -> list[bytes]:
        return await self._wires(
            lambda sql: (sql.movements_after, (account_id, after_version, limit))
        )

    async def _wires(self, statement: Statement) -> list[bytes]:
        return [bytes(wire) for (wire,) in await self._rows(statement)]

    async def _read(self, statement: Statement) -> list[StoredAccount]:
        rows = await self._rows(statement)
        return [StoredAccount(row[0], int(row[1]), bytes(row[2])) for row in rows]

    async def _rows(self, statement: Statement) -> list[Any]:
        """Run the statement on the live generation's tables; once more on the new live
        generation's, when a rebuild dropped the tables of the one this reader knew."""
        try:
            try:
                return await self._run(*statement(await self._sql()))
            except mysql_errors.ProgrammingError as error:
                if error.args[0] != NO_SUCH_TABLE:
                    raise
                self._live = None
                return await self._run(*statement(await self._sql()))
        except UNREACHABLE as error:
            raise Unavailable(UNAVAILABLE_MESSAGE) from error

    async def _sql(self) -> PageSql:
        now = time.monotonic()
        if self._live is None or self._live[1] < now:
            try:
                found = await self._run(LIVE_GENERATION, ())
            except mysql_errors.ProgrammingError as error:
                if error.args[0] != NO_SUCH_TABLE:
                    raise
                raise NoReadModel() from error
            if not found:  # the projector is creating the tables now
                raise NoReadModel()
            self._live = _sql_of(int(found[0][0])), now + GENERATION_SECONDS
        return self._live[0]

    async def _run(self, query: str, parameters: tuple[Any, ...]) -> list[Any]:
        async with self._pool.acquire() as connection, connection.cursor() as cursor:
            await cursor.execute(query, parameters)
            return list(await cursor.fetchall())


@functools.cache
def _sql_of(generation: int) -> PageSql:
    # MySQL's PAD SPACE collations match "Ann" with "Ann ": the lengths must agree too.
    exact = "holder = %s AND LENGTH(holder) = LENGTH(%s)"
    return page_sql("%s", exact_holder=exact, generation=generation)


def connect_args(url: str) -> dict[str, Any]:
    """The driver's pool arguments for a SQLAlchemy-style mysql URL."""
    parsed = make_url(url)
    return {
        "host": parsed.host or "127.0.0.1",
        "port": parsed.port or 3306,
        "user": parsed.username,
        "password": parsed.password or "",
        "db": parsed.database,
        "charset": str(parsed.query.get("charset", "utf8mb4")),
        "autocommit": True,
        "connect_timeout": CONNECT_TIMEOUT_SECONDS,
        "minsize": 1,
        "maxsize": POOL_SIZE,
        "pool_recycle": 3600,
    }
