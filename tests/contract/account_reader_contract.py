"""The contract every AccountReader adapter keeps. Subclass it and say how to open a reader."""

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.sql.engine import create_engine
from adapters.sql.read_generations import FIRST, tables_of
from adapters.sql.read_schema import create_generation, create_schema, drop_generation, generations
from bank.account_reader import (
    AccountReader,
    BalancePosition,
    Comparison,
    NoReadModel,
    StoredAccount,
)
from bank.read_rows import movement_wire_of, wire_of
from core.errors import Unavailable
from query_server import translation as wire
from techbank.account.v1 import account_pb2

# A new read model starts with its first generation, which these tests write directly.
accounts, movements = tables_of(FIRST).accounts, tables_of(FIRST).movements

# Whole seconds: a MySQL DATETIME without fractional precision keeps no more.
OPENED_AT = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
AWKWARD_HOLDER = 'O\'Brien "Bob"; DROP TABLE accounts; -- 100% _x_ \\ 😀🏦 漢字 𝄞'


def row(balance_cents: int = 0, holder: str = "Ada", **changes: Any) -> dict[str, Any]:
    values = {
        "account_id": str(uuid.uuid4()),
        "holder": holder,
        "account_type": "SAVINGS",
        "balance_cents": balance_cents,
        "status": "OPEN",
        "opened_at": OPENED_AT,
        "version": 1,
    } | changes
    return values | {"wire": wire_of(values)}


def line(account_id: str, version: int, **changes: Any) -> dict[str, Any]:
    """A movement row as the projector writes it."""
    values = {
        "account_id": account_id,
        "version": version,
        "kind": "DEPOSIT",
        "amount_cents": 10,
        "balance_cents": 10 * version,
        "occurred_at": OPENED_AT,
        "reference": "",
        "transfer_id": "",
    } | changes
    return values | {"wire": movement_wire_of(values)}


def stored(values: dict[str, Any]) -> StoredAccount:
    return StoredAccount(values["account_id"], values["version"], values["wire"])


def account(found: StoredAccount | None) -> account_pb2.Account:
    assert found is not None
    return wire.account_of(found.wire)


def ids_of(found: list[bytes]) -> list[str]:
    return [wire.account_of(framed).account_id for framed in found]


def by_balance(values: dict[str, Any]) -> BalancePosition:
    return (values["balance_cents"], values["account_id"])


EVERYTHING = 10_000  # a limit above any test's number of rows


class AccountReaderContract:
    """A subclass says how to open a reader (`open_reader`), which URL to use
    (`database_url`) and one that cannot be reached (`unreachable_url`). Rows are written
    directly to the projector's table, through an engine of their own, as the projector
    would."""

    @pytest.fixture
    def database_url(self) -> str:
        raise NotImplementedError("a subclass gives the URL of an empty-able test database")

    @pytest.fixture
    def unreachable_url(self) -> str:
        raise NotImplementedError("a subclass gives a URL whose database cannot be reached")

    async def open_reader(self, url: str) -> AccountReader:
        raise NotImplementedError("a subclass says how to open its reader")

    @pytest.fixture
    async def reader(self, database_url: str) -> AsyncIterator[AccountReader]:
        reader = await self.open_reader(database_url)
        yield reader
        await reader.close()

    @pytest.fixture
    async def writer(self, database_url: str, reader: AccountReader) -> AsyncIterator[AsyncEngine]:
        """The projector's side, which creates the tables (a reader never does), after the
        reader started. Starts empty."""
        engine = create_engine(database_url)
        await create_schema(engine)
        async with engine.begin() as conn:
            await conn.execute(accounts.delete())
            await conn.execute(movements.delete())
        yield engine
        await engine.dispose()

    async def insert(self, writer: AsyncEngine, *rows: dict[str, Any]) -> None:
        async with writer.begin() as conn:
            await conn.execute(accounts.insert(), list(rows))

    async def test_find_by_id_returns_the_row_with_a_utc_opening_time(
        self, reader: AccountReader, writer: AsyncEngine
    ) -> None:
        written = row(balance_cents=2**62, account_type="CURRENT", status="CLOSED", version=7)
        await self.insert(writer, written, row())
        found = await reader.find_by_id(written["account_id"])
        assert found == stored(written)
        assert account(found).opened_at.ToDatetime(tzinfo=UTC) == OPENED_AT

    async def test_find_by_id_of_an_absent_account_is_none(
        self, reader: AccountReader, writer: AsyncEngine
    ) -> None:
        await self.insert(writer, row())
        assert await reader.find_by_id(str(uuid.uuid4())) is None

    async def test_find_by_id_sees_a_later_version(
        self, reader: AccountReader, writer: AsyncEngine
    ) -> None:
        written = row()
        await self.insert(writer, written)
        later = row(**{**written, "version": 2, "balance_cents": 50})
        async with writer.begin() as conn:
            update = accounts.update().values(later)
            await conn.execute(update.where(accounts.c.account_id == written["account_id"]))
        found = await reader.find_by_id(written["account_id"])
        assert found is not None and found.version == 2 and account(found).balance_cents == 50

    async def test_find_by_holder_returns_awkward_text_exactly(
        self, reader: AccountReader, writer: AsyncEngine
    ) -> None:
        written = row(holder=AWKWARD_HOLDER)
        await self.insert(writer, written, row(holder="Ada"))
        found = await reader.find_by_holder(AWKWARD_HOLDER, None, EVERYTHING)
        assert found == [written["wire"]]
        assert wire.account_of(found[0]).holder == AWKWARD_HOLDER
        assert await reader.find_by_holder("%", None, EVERYTHING) == []

    async def test_find_by_holder_is_exact_not_case_or_space_insensitive(
        self, reader: AccountReader, writer: AsyncEngine
    ) -> None:
        exact = [row(holder="Ada Lovelace") for _ in range(3)]
        near = [row(holder=h) for h in ("ada lovelace", "ADA LOVELACE", "Ada Lovelace ", " Ada")]
        await self.insert(writer, *exact, *near)
        found = await reader.find_by_holder("Ada Lovelace", None, EVERYTHING)
        assert ids_of(found) == sorted(r["account_id"] for r in exact)

    @pytest.mark.parametrize("limit", [1, 2, 3, 7])
    async def test_a_holders_accounts_page_by_id_from_any_position(
        self, reader: AccountReader, writer: AsyncEngine, limit: int
    ) -> None:
        ada = [row(holder="Ada") for _ in range(7)]
        await self.insert(writer, *ada, *(row(holder="Bob") for _ in range(3)))
        expected = sorted(r["account_id"] for r in ada)
        pages, after = [], None
        while found := await reader.find_by_holder("Ada", after, limit):
            pages.append(ids_of(found))
            after = pages[-1][-1]
        assert all(len(page) <= limit for page in pages)
        assert [i for page in pages for i in page] == expected

    async def test_find_with_balance_is_strict_and_ordered_by_balance_then_id(
        self, reader: AccountReader, writer: AsyncEngine
    ) -> None:
        rows = [row(balance_cents=c) for c in (300, 100, 200, 200, 0, -5)]
        await self.insert(writer, *rows)

        def expected(keep: Any) -> list[str]:
            return [r["account_id"] for r in sorted(filter(keep, rows), key=by_balance)]

        above = await reader.find_with_balance(Comparison.GREATER_THAN, 100, None, EVERYTHING)
        below = await reader.find_with_balance(Comparison.LESS_THAN, 200, None, EVERYTHING)
        assert ids_of(above) == expected(lambda r: r["balance_cents"] > 100)
        assert ids_of(below) == expected(lambda r: r["balance_cents"] < 200)

    @pytest.mark.parametrize("comparison", list(Comparison))
    @pytest.mark.parametrize("limit", [1, 2, 3, 5])
    async def test_balance_pages_go_on_within_runs_of_equal_balances(
        self, reader: AccountReader, writer: AsyncEngine, comparison: Comparison, limit: int
    ) -> None:
        rows = [row(balance_cents=c) for c in (50, 100, 100, 100, 100, 200, 200, 300, 300, 900)]
        await self.insert(writer, *rows)
        amount = 60 if comparison is Comparison.GREATER_THAN else 800
        kept = [r for r in rows if (r["balance_cents"] > amount) == (amount == 60)]
        pages, after = [], None
        while found := await reader.find_with_balance(comparison, amount, after, limit):
            pages.append(ids_of(found))
            last = wire.account_of(found[-1])
            after = (last.balance_cents, last.account_id)
        assert all(len(page) <= limit for page in pages)
        assert [i for page in pages for i in page] == [
            r["account_id"] for r in sorted(kept, key=by_balance)
        ]

    async def test_a_position_below_the_amount_starts_above_the_amount(
        self, reader: AccountReader, writer: AsyncEngine
    ) -> None:
        rows = [row(balance_cents=c) for c in (50, 100, 150, 200)]
        await self.insert(writer, *rows)
        found = await reader.find_with_balance(Comparison.GREATER_THAN, 100, (50, "~"), 10)
        assert found == [rows[2]["wire"], rows[3]["wire"]]

    async def test_find_with_balance_handles_int64_extremes(
        self, reader: AccountReader, writer: AsyncEngine
    ) -> None:
        richest = row(balance_cents=2**63 - 1)
        await self.insert(writer, richest, row(balance_cents=0))
        above = await reader.find_with_balance(Comparison.GREATER_THAN, 2**63 - 2, None, 10)
        assert above == [richest["wire"]]
        after_richest = by_balance(richest)
        assert await reader.find_with_balance(Comparison.GREATER_THAN, 0, after_richest, 10) == []
        assert await reader.find_with_balance(Comparison.LESS_THAN, -(2**63), None, 10) == []

    async def test_pages_after_cover_every_account_once_in_id_order(
        self, reader: AccountReader, writer: AsyncEngine
    ) -> None:
        rows = [row(balance_cents=n) for n in range(11)]
        await self.insert(writer, *rows)
        pages: list[list[str]] = []
        after = None
        while found := await reader.page_after(after, limit=4):
            pages.append(ids_of(found))
            after = pages[-1][-1]
        assert [len(p) for p in pages] == [4, 4, 3]
        assert [i for p in pages for i in p] == sorted(r["account_id"] for r in rows)

    async def test_movements_come_in_version_order_after_the_one_asked(
        self, reader: AccountReader, writer: AsyncEngine
    ) -> None:
        account_id, other = str(uuid.uuid4()), str(uuid.uuid4())
        lines = [line(account_id, v, reference=AWKWARD_HOLDER[:140]) for v in (3, 1, 2, 4)]
        async with writer.begin() as conn:
            await conn.execute(movements.insert(), [*lines, line(other, 1)])
        found = await reader.movements_after(account_id, 0, EVERYTHING)
        assert [wire.movement_of(m).version for m in found] == [1, 2, 3, 4]
        assert wire.movement_of(found[0]).reference == AWKWARD_HOLDER[:140]
        after = await reader.movements_after(account_id, 2, 1)
        assert [wire.movement_of(m).version for m in after] == [3]
        assert await reader.movements_after(str(uuid.uuid4()), 0, EVERYTHING) == []

    async def test_a_switch_of_generations_is_seen_by_the_next_query(
        self, reader: AccountReader, writer: AsyncEngine
    ) -> None:
        old, new = row(), row()
        await self.insert(writer, old)
        assert await reader.find_by_id(old["account_id"]) == stored(old)
        async with writer.begin() as conn:
            await conn.run_sync(create_generation, 2)
            await conn.execute(tables_of(2).accounts.insert().values(new))
            await conn.execute(generations.update().values(live=2))
        try:
            async with writer.begin() as conn:  # dropped at once: the reader looks again
                await conn.run_sync(drop_generation, FIRST)
            assert await reader.find_by_id(new["account_id"]) == stored(new)
            assert await reader.find_by_id(old["account_id"]) is None
            assert ids_of(await reader.page_after(None, EVERYTHING)) == [new["account_id"]]
        finally:
            async with writer.begin() as conn:
                await conn.run_sync(create_generation, FIRST)
                await conn.execute(generations.update().values(live=FIRST))
                await conn.run_sync(drop_generation, 2)

    async def test_page_after_the_last_id_is_empty(
        self, reader: AccountReader, writer: AsyncEngine
    ) -> None:
        rows = [row(), row()]
        await self.insert(writer, *rows)
        last = max(r["account_id"] for r in rows)
        assert await reader.page_after(last, limit=10) == []

    async def test_ping_answers_on_an_empty_table_and_a_filled_one(
        self, reader: AccountReader, writer: AsyncEngine
    ) -> None:
        await reader.ping()
        await self.insert(writer, row())
        await reader.ping()

    async def test_an_unreachable_database_is_unavailable(self, unreachable_url: str) -> None:
        with pytest.raises(Unavailable, match="read database is unavailable"):
            await self.open_reader(unreachable_url)


class OnSqlite:
    """Mixed in before the contract by the readers of the embedded default's SQLite file:
    where their test databases are, and what else such a reader keeps."""

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
        url = f"sqlite+aiosqlite:///{tmp_path}/read.db"
        reader = await self.open_reader(url)  # type: ignore[attr-defined]
        with pytest.raises(NoReadModel):  # until the projector created the tables
            await reader.page_after(None, limit=10)
        writer = create_engine(url)
        await create_schema(writer)
        assert await reader.page_after(None, limit=10) == []
        written = row()
        async with writer.begin() as conn:
            await conn.execute(accounts.insert().values(written))
        assert await reader.find_by_id(written["account_id"]) == stored(written)
        await writer.dispose()
        await reader.close()
