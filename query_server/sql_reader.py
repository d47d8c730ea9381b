"""The account reader on a SQL database through SQLAlchemy's asyncio Core (MySQL here).

"holder" is compared with its length as well: MySQL's PAD SPACE collations match
"Ann" with "Ann ", and only the exact holder counts.
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.sql_engine import create_engine
from adapters.sql_errors import is_unavailable
from bank.read_schema import accounts, create_schema, movements
from core.errors import Unavailable
from query_server.account_reader import (
    AccountReader,
    BalancePosition,
    Comparison,
    StoredAccount,
)
from query_server.page_sql import balance_seek, chunks

UNAVAILABLE_MESSAGE = "the read database is unavailable"
COLUMNS = (accounts.c.account_id, accounts.c.version, accounts.c.wire)
Order = tuple[sa.Column[Any], ...]
BY_ID: Order = (accounts.c.account_id,)
BY_BALANCE: Order = (accounts.c.balance_cents, accounts.c.account_id)


class SqlAccountReader(AccountReader):
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    @classmethod
    async def connect(cls, url: str) -> "SqlAccountReader":
        """Connect, creating the table if the projector has not yet, so either may start first."""
        engine = create_engine(url)
        try:
            await create_schema(engine)
        except Exception as error:
            await engine.dispose()
            if is_unavailable(error):
                raise Unavailable(UNAVAILABLE_MESSAGE) from error
            raise
        return cls(engine)

    async def close(self) -> None:
        await self._engine.dispose()

    async def find_by_id(self, account_id: str) -> StoredAccount | None:
        found = await self._read(sa.select(*COLUMNS).where(accounts.c.account_id == account_id))
        return found[0] if found else None

    async def find_many(self, account_ids: Sequence[str]) -> list[StoredAccount]:
        found = []
        for chunk in chunks(account_ids):
            found += await self._read(sa.select(*COLUMNS).where(accounts.c.account_id.in_(chunk)))
        return found

    async def ping(self) -> None:
        await self._read(sa.select(*COLUMNS).limit(1))

    async def find_by_holder(
        self, holder: str, after_account_id: str | None, limit: int
    ) -> list[bytes]:
        exactly = (accounts.c.holder == holder) & (
            sa.func.length(accounts.c.holder) == sa.func.length(sa.literal(holder))
        )
        if after_account_id is not None:
            exactly &= accounts.c.account_id > after_account_id
        return await self._wires(sa.select(accounts.c.wire).where(exactly), BY_ID, limit)

    async def find_with_balance(
        self,
        comparison: Comparison,
        balance_cents: int,
        after: BalancePosition | None,
        limit: int,
    ) -> list[bytes]:
        balance = accounts.c.balance_cents
        condition = balance > balance_cents
        if comparison is Comparison.LESS_THAN:
            condition = balance < balance_cents
        after = balance_seek(comparison, balance_cents, after)
        if after is not None:
            past = (balance >= after[0]) & (
                (balance > after[0]) | (accounts.c.account_id > after[1])
            )
            condition = condition & past if comparison is Comparison.LESS_THAN else past
        return await self._wires(sa.select(accounts.c.wire).where(condition), BY_BALANCE, limit)

    async def page_after(self, after_account_id: str | None, limit: int) -> list[bytes]:
        query = sa.select(accounts.c.wire)
        if after_account_id is not None:
            query = query.where(accounts.c.account_id > after_account_id)
        return await self._wires(query, BY_ID, limit)

    async def movements_after(self, account_id: str, after_version: int, limit: int) -> list[bytes]:
        query = sa.select(movements.c.wire).where(
            (movements.c.account_id == account_id) & (movements.c.version > after_version)
        )
        return await self._wires(query, (movements.c.version,), limit)

    async def _wires(self, query: sa.Select[Any], order: Order, limit: int) -> list[bytes]:
        rows = await self._rows(query.order_by(*order).limit(limit))
        return [bytes(wire) for (wire,) in rows]

    async def _read(self, query: sa.Select[Any]) -> list[StoredAccount]:
        rows = await self._rows(query)
        return [StoredAccount(row[0], int(row[1]), bytes(row[2])) for row in rows]

    async def _rows(self, query: sa.Select[Any]) -> list[Any]:
        try:
            async with self._engine.connect() as conn:
                return list((await conn.execute(query)).all())
        except Exception as error:
            if is_unavailable(error):
                raise Unavailable(UNAVAILABLE_MESSAGE) from error
            raise
