"""The read model's port, and its adapter on a SQL database (SQLite or MySQL).

The projector writes the `accounts` table; this side only reads it.
"""

from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.sql_engine import create_engine
from core.errors import Unavailable
from projector.schema import accounts, create_schema
from query_server.queries import AccountView, Comparison

# A pool timeout is included: when every connection is busy the database is, for the
# caller, as unavailable as when it is down, and the same request may succeed later.
UNREACHABLE = (exc.OperationalError, exc.InterfaceError, exc.TimeoutError)
UNAVAILABLE_MESSAGE = "the read database is unavailable"


class AccountReader(ABC):
    """Reads accounts from the read model, which may lag behind the event store."""

    @abstractmethod
    async def find_by_id(self, account_id: str) -> AccountView | None:
        """The account with this id, or None if the read model does not have it (yet)."""

    @abstractmethod
    async def find_by_holder(self, holder: str) -> list[AccountView]:
        """The accounts whose holder equals `holder` exactly, ordered by account id."""

    @abstractmethod
    async def find_with_balance(
        self, comparison: Comparison, balance_cents: int
    ) -> list[AccountView]:
        """The accounts with a balance strictly above or below, by balance then account id."""

    @abstractmethod
    async def page_after(self, after_account_id: str | None, limit: int) -> list[AccountView]:
        """Up to `limit` accounts with ids after the given one (None: from the first), by id."""


class SqlAccountReader(AccountReader):
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    @classmethod
    async def connect(cls, url: str) -> "SqlAccountReader":
        """Connect, creating the table if the projector has not yet, so either may start first."""
        engine = create_engine(url)
        try:
            await create_schema(engine)
        except UNREACHABLE as error:
            await engine.dispose()
            raise Unavailable(UNAVAILABLE_MESSAGE) from error
        return cls(engine)

    async def close(self) -> None:
        await self._engine.dispose()

    async def find_by_id(self, account_id: str) -> AccountView | None:
        views = await self._views(sa.select(accounts).where(accounts.c.account_id == account_id))
        return views[0] if views else None

    async def find_by_holder(self, holder: str) -> list[AccountView]:
        query = (
            sa.select(accounts).where(accounts.c.holder == holder).order_by(accounts.c.account_id)
        )
        # MySQL's PAD SPACE collations match "Ann" with "Ann "; only the exact holder counts.
        return [view for view in await self._views(query) if view.holder == holder]

    async def find_with_balance(
        self, comparison: Comparison, balance_cents: int
    ) -> list[AccountView]:
        balance = accounts.c.balance_cents
        condition = balance > balance_cents
        if comparison is Comparison.LESS_THAN:
            condition = balance < balance_cents
        query = sa.select(accounts).where(condition).order_by(balance, accounts.c.account_id)
        return await self._views(query)

    async def page_after(self, after_account_id: str | None, limit: int) -> list[AccountView]:
        query = sa.select(accounts).order_by(accounts.c.account_id).limit(limit)
        if after_account_id is not None:
            query = query.where(accounts.c.account_id > after_account_id)
        return await self._views(query)

    async def _views(self, query: sa.Select[Any]) -> list[AccountView]:
        try:
            async with self._engine.connect() as conn:
                rows = (await conn.execute(query)).mappings().all()
        except UNREACHABLE as error:
            raise Unavailable(UNAVAILABLE_MESSAGE) from error
        return [_view_of(row) for row in rows]


def _view_of(row: Mapping[str, Any]) -> AccountView:
    return AccountView(
        account_id=row["account_id"],
        holder=row["holder"],
        account_type=row["account_type"],
        balance_cents=int(row["balance_cents"]),
        status=row["status"],
        opened_at=row["opened_at"],
        version=int(row["version"]),
    )
