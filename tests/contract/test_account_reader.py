"""The contract of the SQL account reader, for every database the read model may live in.

`AccountReaderContract` holds the tests; a subclass per database only says which URL to
use (`database_url`) and one that cannot be reached (`unreachable_url`). Rows are written
directly to the projector's table, through an engine of their own, as the projector would.
"""

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.sql_engine import create_engine
from core.errors import Unavailable
from projector.schema import accounts
from query_server.account_reader import SqlAccountReader
from query_server.queries import AccountView, Comparison

# Whole seconds: a MySQL DATETIME without fractional precision keeps no more.
OPENED_AT = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
AWKWARD_HOLDER = 'O\'Brien "Bob"; DROP TABLE accounts; -- 100% _x_ \\ 😀🏦 漢字 𝄞'


def row(balance_cents: int = 0, holder: str = "Ada", **changes: Any) -> dict[str, Any]:
    return {
        "account_id": str(uuid.uuid4()),
        "holder": holder,
        "account_type": "SAVINGS",
        "balance_cents": balance_cents,
        "status": "OPEN",
        "opened_at": OPENED_AT,
        "version": 1,
    } | changes


def view_of(values: dict[str, Any]) -> AccountView:
    return AccountView(**values)


def ids_of(views: list[AccountView]) -> list[str]:
    return [v.account_id for v in views]


class AccountReaderContract:
    @pytest.fixture
    def database_url(self) -> str:
        raise NotImplementedError("a subclass gives the URL of an empty-able test database")

    @pytest.fixture
    def unreachable_url(self) -> str:
        raise NotImplementedError("a subclass gives a URL whose database cannot be reached")

    @pytest.fixture
    async def reader(self, database_url: str) -> AsyncIterator[SqlAccountReader]:
        reader = await SqlAccountReader.connect(database_url)
        yield reader
        await reader.close()

    @pytest.fixture
    async def writer(
        self, database_url: str, reader: SqlAccountReader
    ) -> AsyncIterator[AsyncEngine]:
        """The projector's side; the reader came first, so the table exists. Starts empty."""
        engine = create_engine(database_url)
        async with engine.begin() as conn:
            await conn.execute(accounts.delete())
        yield engine
        await engine.dispose()

    async def insert(self, writer: AsyncEngine, *rows: dict[str, Any]) -> None:
        async with writer.begin() as conn:
            await conn.execute(accounts.insert(), list(rows))

    async def test_find_by_id_returns_the_row_with_a_utc_opening_time(
        self, reader: SqlAccountReader, writer: AsyncEngine
    ) -> None:
        written = row(balance_cents=2**62, account_type="CURRENT", status="CLOSED", version=7)
        await self.insert(writer, written, row())
        found = await reader.find_by_id(written["account_id"])
        assert found == view_of(written)
        assert found is not None and found.opened_at.utcoffset() is not None

    async def test_find_by_id_of_an_absent_account_is_none(
        self, reader: SqlAccountReader, writer: AsyncEngine
    ) -> None:
        await self.insert(writer, row())
        assert await reader.find_by_id(str(uuid.uuid4())) is None

    async def test_find_by_id_sees_a_later_version(
        self, reader: SqlAccountReader, writer: AsyncEngine
    ) -> None:
        written = row()
        await self.insert(writer, written)
        async with writer.begin() as conn:
            update = accounts.update().values(version=2, balance_cents=50)
            await conn.execute(update.where(accounts.c.account_id == written["account_id"]))
        found = await reader.find_by_id(written["account_id"])
        assert found is not None and (found.version, found.balance_cents) == (2, 50)

    async def test_find_by_holder_returns_awkward_text_exactly(
        self, reader: SqlAccountReader, writer: AsyncEngine
    ) -> None:
        written = row(holder=AWKWARD_HOLDER)
        await self.insert(writer, written, row(holder="Ada"))
        assert await reader.find_by_holder(AWKWARD_HOLDER) == [view_of(written)]
        assert await reader.find_by_holder("%") == []

    async def test_find_by_holder_is_exact_not_case_or_space_insensitive(
        self, reader: SqlAccountReader, writer: AsyncEngine
    ) -> None:
        exact = [row(holder="Ada Lovelace") for _ in range(3)]
        near = [row(holder=h) for h in ("ada lovelace", "ADA LOVELACE", "Ada Lovelace ", " Ada")]
        await self.insert(writer, *exact, *near)
        found = await reader.find_by_holder("Ada Lovelace")
        assert ids_of(found) == sorted(r["account_id"] for r in exact)

    async def test_find_with_balance_is_strict_and_ordered_by_balance_then_id(
        self, reader: SqlAccountReader, writer: AsyncEngine
    ) -> None:
        rows = [row(balance_cents=c) for c in (300, 100, 200, 200, 0, -5)]
        await self.insert(writer, *rows)

        def expected(keep: Any) -> list[str]:
            kept = sorted(
                (r for r in rows if keep(r)), key=lambda r: (r["balance_cents"], r["account_id"])
            )
            return [r["account_id"] for r in kept]

        above = await reader.find_with_balance(Comparison.GREATER_THAN, 100)
        below = await reader.find_with_balance(Comparison.LESS_THAN, 200)
        assert ids_of(above) == expected(lambda r: r["balance_cents"] > 100)
        assert ids_of(below) == expected(lambda r: r["balance_cents"] < 200)

    async def test_find_with_balance_handles_int64_extremes(
        self, reader: SqlAccountReader, writer: AsyncEngine
    ) -> None:
        richest = row(balance_cents=2**63 - 1)
        await self.insert(writer, richest, row(balance_cents=0))
        above = await reader.find_with_balance(Comparison.GREATER_THAN, 2**63 - 2)
        assert above == [view_of(richest)]
        assert await reader.find_with_balance(Comparison.LESS_THAN, -(2**63)) == []

    async def test_pages_after_cover_every_account_once_in_id_order(
        self, reader: SqlAccountReader, writer: AsyncEngine
    ) -> None:
        rows = [row(balance_cents=n) for n in range(11)]
        await self.insert(writer, *rows)
        pages, after = [], None
        while page := await reader.page_after(after, limit=4):
            pages.append(ids_of(page))
            after = page[-1].account_id
        assert [len(p) for p in pages] == [4, 4, 3]
        assert [i for p in pages for i in p] == sorted(r["account_id"] for r in rows)

    async def test_page_after_the_last_id_is_empty(
        self, reader: SqlAccountReader, writer: AsyncEngine
    ) -> None:
        rows = [row(), row()]
        await self.insert(writer, *rows)
        last = max(r["account_id"] for r in rows)
        assert await reader.page_after(last, limit=10) == []

    async def test_an_unreachable_database_is_unavailable(self, unreachable_url: str) -> None:
        with pytest.raises(Unavailable, match="read database is unavailable"):
            await SqlAccountReader.connect(unreachable_url)
        reader = SqlAccountReader(create_engine(unreachable_url))
        with pytest.raises(Unavailable, match="read database is unavailable"):
            await reader.find_by_id(str(uuid.uuid4()))
        await reader.close()


class TestSqliteAccountReader(AccountReaderContract):
    @pytest.fixture
    def database_url(self, tmp_path: Path) -> str:
        return f"sqlite+aiosqlite:///{tmp_path}/read.db"

    @pytest.fixture
    def unreachable_url(self, tmp_path: Path) -> str:
        # A directory where the database file should be: SQLite cannot open it.
        (tmp_path / "not-a-file.db").mkdir()
        return f"sqlite+aiosqlite:///{tmp_path}/not-a-file.db"

    async def test_reader_starts_before_the_projector_and_sees_its_rows(
        self, tmp_path: Path
    ) -> None:
        url = f"sqlite+aiosqlite:///{tmp_path}/fresh/read.db"
        reader = await SqlAccountReader.connect(url)
        assert await reader.page_after(None, limit=10) == []
        writer = create_engine(url)
        written = row()
        await self.insert(writer, written)
        assert await reader.find_by_id(written["account_id"]) == view_of(written)
        await writer.dispose()
        await reader.close()

    async def test_opening_time_is_read_as_utc_by_any_reader_of_the_table(
        self, reader: SqlAccountReader, writer: AsyncEngine
    ) -> None:
        written = row()
        await self.insert(writer, written)
        async with writer.connect() as conn:
            raw = await conn.scalar(sa.select(accounts.c.opened_at))
        # The databases keep no zone; the column type gives it back (adapters/sql_types.py).
        assert raw == OPENED_AT and raw.tzinfo is not None
        found = await reader.find_by_id(written["account_id"])
        assert found is not None and found.opened_at == OPENED_AT
