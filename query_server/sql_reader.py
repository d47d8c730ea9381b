"""The account reader on a SQL database through SQLAlchemy's asyncio Core (MySQL here).

"holder" is compared with its length as well: MySQL's PAD SPACE collations match
"Ann" with "Ann ", and only the exact holder counts.
"""

from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.sql.engine import create_engine
from adapters.sql.errors import is_missing_table, is_unavailable
from bank.read_generations import Generation, tables_of
from bank.read_schema import THE_ROW, generations
from core.errors import Unavailable
from query_server.account_reader import (
    AccountReader,
    BalancePosition,
    Comparison,
    NoReadModel,
    StoredAccount,
)
from query_server.page_sql import balance_seek, chunks

UNAVAILABLE_MESSAGE = "the read database is unavailable"
Order = tuple[sa.Column[Any], ...]
Build = Callable[[Generation], sa.Select[Any]]  # the live generation's tables -> a query


class SqlAccountReader(AccountReader):
    """Each query reads which generation is live, then its tables, on one connection."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    @classmethod
    async def connect(cls, url: str) -> "SqlAccountReader":
        """Connect; the tables are the projector's to create (NoReadModel until then)."""
        engine = create_engine(url)
        try:
            async with engine.connect():
                pass  # a database that cannot be reached, or refuses us, says so now
        except Exception as error:
            await engine.dispose()
            if is_unavailable(error):
                raise Unavailable(UNAVAILABLE_MESSAGE) from error
            raise
        return cls(engine)

    async def close(self) -> None:
        await self._engine.dispose()

    async def find_by_id(self, account_id: str) -> StoredAccount | None:
        found = await self._read(
            lambda t: _accounts(t).where(t.accounts.c.account_id == account_id)
        )
        return found[0] if found else None

    async def find_many(self, account_ids: Sequence[str]) -> list[StoredAccount]:
        found = []
        for chunk in chunks(account_ids):
            found += await self._read(
                lambda t: _accounts(t).where(t.accounts.c.account_id.in_(chunk))  # noqa: B023
            )
        return found

    async def ping(self) -> None:
        await self._read(lambda t: _accounts(t).limit(1))

    async def find_by_holder(
        self, holder: str, after_account_id: str | None, limit: int
    ) -> list[bytes]:
        def build(t: Generation) -> sa.Select[Any]:
            accounts = t.accounts
            exactly = (accounts.c.holder == holder) & (
                sa.func.length(accounts.c.holder) == sa.func.length(sa.literal(holder))
            )
            if after_account_id is not None:
                exactly &= accounts.c.account_id > after_account_id
            query = sa.select(accounts.c.wire).where(exactly)
            return query.order_by(accounts.c.account_id).limit(limit)

        return await self._wires(build)

    async def find_with_balance(
        self,
        comparison: Comparison,
        balance_cents: int,
        after: BalancePosition | None,
        limit: int,
    ) -> list[bytes]:
        seek = balance_seek(comparison, balance_cents, after)

        def build(t: Generation) -> sa.Select[Any]:
            accounts = t.accounts
            balance = accounts.c.balance_cents
            condition = balance > balance_cents
            if comparison is Comparison.LESS_THAN:
                condition = balance < balance_cents
            if seek is not None:
                past = (balance >= seek[0]) & (
                    (balance > seek[0]) | (accounts.c.account_id > seek[1])
                )
                condition = condition & past if comparison is Comparison.LESS_THAN else past
            query = sa.select(accounts.c.wire).where(condition)
            return query.order_by(balance, accounts.c.account_id).limit(limit)

        return await self._wires(build)

    async def page_after(self, after_account_id: str | None, limit: int) -> list[bytes]:
        def build(t: Generation) -> sa.Select[Any]:
            query = sa.select(t.accounts.c.wire)
            if after_account_id is not None:
                query = query.where(t.accounts.c.account_id > after_account_id)
            return query.order_by(t.accounts.c.account_id).limit(limit)

        return await self._wires(build)

    async def movements_after(self, account_id: str, after_version: int, limit: int) -> list[bytes]:
        def build(t: Generation) -> sa.Select[Any]:
            movements = t.movements
            query = sa.select(movements.c.wire).where(
                (movements.c.account_id == account_id) & (movements.c.version > after_version)
            )
            return query.order_by(movements.c.version).limit(limit)

        return await self._wires(build)

    async def _wires(self, build: Build) -> list[bytes]:
        return [bytes(wire) for (wire,) in await self._rows(build)]

    async def _read(self, build: Build) -> list[StoredAccount]:
        rows = await self._rows(build)
        return [StoredAccount(row[0], int(row[1]), bytes(row[2])) for row in rows]

    async def _rows(self, build: Build) -> list[Any]:
        try:
            async with self._engine.connect() as conn:
                live = (await conn.execute(sa.select(generations.c.live).where(THE_ROW))).first()
                if live is None:  # the projector is creating the tables now
                    raise NoReadModel()
                return list((await conn.execute(build(tables_of(live.live)))).all())
        except Unavailable:
            raise
        except Exception as error:
            if is_missing_table(error):
                raise NoReadModel() from error
            if is_unavailable(error):
                raise Unavailable(UNAVAILABLE_MESSAGE) from error
            raise


def _accounts(t: Generation) -> sa.Select[Any]:
    return sa.select(t.accounts.c.account_id, t.accounts.c.version, t.accounts.c.wire)
