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

from collections.abc import Sequence
from typing import Any

import asyncmy
from asyncmy import errors as mysql_errors
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
from query_server.page_sql import balance_page, chunks, page_sql
from query_server.sql_reader import UNAVAILABLE_MESSAGE

CONNECT_TIMEOUT_SECONDS = 3
POOL_SIZE = 16
SELECT = "SELECT account_id, version, wire FROM accounts"
BY_ID = f"{SELECT} WHERE account_id = %s"
# MySQL's PAD SPACE collations match "Ann" with "Ann ": the lengths must agree too.
SQL = page_sql("%s", exact_holder="holder = %s AND LENGTH(holder) = LENGTH(%s)")
PING = "SELECT 1 FROM accounts LIMIT 1"
UNREACHABLE = (mysql_errors.OperationalError, mysql_errors.InterfaceError, OSError, TimeoutError)


class MysqlAccountReader(AccountReader):
    def __init__(self, pool: Any) -> None:
        self._pool = pool

    @classmethod
    async def connect(cls, url: str) -> "MysqlAccountReader":
        """Connect, creating the table if the projector has not yet, so either may start first."""
        engine = create_engine(url)
        try:
            await create_schema(engine)
            return cls(await asyncmy.create_pool(**connect_args(url)))
        except Exception as error:
            if is_unavailable(error) or isinstance(error, UNREACHABLE):
                raise Unavailable(UNAVAILABLE_MESSAGE) from error
            raise
        finally:
            await engine.dispose()

    async def close(self) -> None:
        self._pool.close()
        await self._pool.wait_closed()

    async def find_by_id(self, account_id: str) -> StoredAccount | None:
        found = await self._read(BY_ID, (account_id,))
        return found[0] if found else None

    async def find_many(self, account_ids: Sequence[str]) -> list[StoredAccount]:
        found = []
        for chunk in chunks(account_ids):
            marks = ", ".join(["%s"] * len(chunk))
            found += await self._read(f"{SELECT} WHERE account_id IN ({marks})", tuple(chunk))
        return found

    async def ping(self) -> None:
        await self._rows(PING, ())

    async def find_by_holder(
        self, holder: str, after_account_id: str | None, limit: int
    ) -> list[bytes]:
        if after_account_id is None:
            return await self._wires(SQL.by_holder, (holder, holder, limit))
        return await self._wires(SQL.by_holder_after, (holder, holder, after_account_id, limit))

    async def find_with_balance(
        self,
        comparison: Comparison,
        balance_cents: int,
        after: BalancePosition | None,
        limit: int,
    ) -> list[bytes]:
        page = balance_page(SQL, comparison, balance_cents, after, limit)
        return await self._wires(*page)

    async def page_after(self, after_account_id: str | None, limit: int) -> list[bytes]:
        if after_account_id is None:
            return await self._wires(SQL.first_page, (limit,))
        return await self._wires(SQL.next_page, (after_account_id, limit))

    async def movements_after(self, account_id: str, after_version: int, limit: int) -> list[bytes]:
        return await self._wires(SQL.movements_after, (account_id, after_version, limit))

    async def _wires(self, query: str, parameters: tuple[Any, ...]) -> list[bytes]:
        return [bytes(wire) for (wire,) in await self._rows(query, parameters)]

    async def _read(self, query: str, parameters: tuple[Any, ...]) -> list[StoredAccount]:
        rows = await self._rows(query, parameters)
        return [StoredAccount(row[0], int(row[1]), bytes(row[2])) for row in rows]

    async def _rows(self, query: str, parameters: tuple[Any, ...]) -> list[Any]:
        try:
            async with self._pool.acquire() as connection, connection.cursor() as cursor:
                await cursor.execute(query, parameters)
                return list(await cursor.fetchall())
        except UNREACHABLE as error:
            raise Unavailable(UNAVAILABLE_MESSAGE) from error


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
