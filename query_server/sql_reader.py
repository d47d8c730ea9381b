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
from core.errors import Unavailable
from projector.schema import accounts, create_schema
from query_server.account_reader import AccountReader, Page, StoredAccount, chunks
from query_server.queries import Comparison

UNAVAILABLE_MESSAGE = "the read database is unavailable"
COLUMNS = (accounts.c.account_id, accounts.c.version, accounts.c.wire)


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

    async def find_by_holder(self, holder: str) -> list[StoredAccount]:
        exactly = (accounts.c.holder == holder) & (
            sa.func.length(accounts.c.holder) == sa.func.length(sa.literal(holder))
        )
        return await self._read(sa.select(*COLUMNS).where(exactly).order_by(accounts.c.account_id))

    async def find_with_balance(
        self, comparison: Comparison, balance_cents: int
    ) -> list[StoredAccount]:
        balance = accounts.c.balance_cents
        condition = balance > balance_cents
        if comparison is Comparison.LESS_THAN:
            condition = balance < balance_cents
        query = sa.select(*COLUMNS).where(condition).order_by(balance, accounts.c.account_id)
        return await self._read(query)

    async def page_after(self, after_account_id: str | None, limit: int) -> Page:
        query = sa.select(*COLUMNS).order_by(accounts.c.account_id).limit(limit)
        if after_account_id is not None:
            query = query.where(accounts.c.account_id > after_account_id)
        found = await self._read(query)
        return Page([a.wire for a in found], found[-1].account_id if found else None)

    async def _read(self, query: sa.Select[Any]) -> list[StoredAccount]:
        try:
            async with self._engine.connect() as conn:
                rows = (await conn.execute(query)).all()
        except Exception as error:
            if is_unavailable(error):
                raise Unavailable(UNAVAILABLE_MESSAGE) from error
            raise
        return [StoredAccount(row[0], int(row[1]), bytes(row[2])) for row in rows]
