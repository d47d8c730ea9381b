"""Query handlers against a hand-written in-memory reader."""

import asyncio
import re
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import pytest

from core.dispatcher import Dispatcher
from core.errors import DeadlineExceeded, InvalidInput, NotFound, Unavailable
from projector.translation import wire_of
from query_server import wire
from query_server.account_reader import AccountReader, Page, StoredAccount
from query_server.handlers import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    UNKNOWN_ACCOUNT,
    register_handlers,
)
from query_server.queries import (
    Comparison,
    FindAccountById,
    FindAccountsByHolder,
    FindAccountsWithBalance,
    FindAllAccounts,
)
from techbank.account.v1 import account_pb2

ACCOUNT_ID = "6f1c2a9e-3b4d-4e5f-8a7b-9c0d1e2f3a4b"
Row = dict[str, Any]


def row(account_id: str = ACCOUNT_ID, version: int = 1, **changes: Any) -> Row:
    return {
        "account_id": account_id,
        "holder": "Ada Lovelace",
        "account_type": "SAVINGS",
        "balance_cents": 1_000,
        "status": "OPEN",
        "opened_at": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        "version": version,
    } | changes


def stored(values: Row) -> StoredAccount:
    return StoredAccount(values["account_id"], values["version"], wire_of(values))


class FakeReader(AccountReader):
    """Keeps rows in a dict and counts what it is asked; `marker` stands for the read
    model's change marker (None: the fake cannot tell, like a SQL database)."""

    watch_interval_seconds = 0.001

    def __init__(self, *rows: Row) -> None:
        self.rows = {r["account_id"]: r for r in rows}
        self.lookups = 0
        self.many_lookups: list[list[str]] = []
        self.page_limits: list[int] = []
        self.marker: int | None = None
        self.failure: Exception | None = None

    def put(self, values: Row) -> None:
        self.rows[values["account_id"]] = values
        if self.marker is not None:
            self.marker += 1

    async def find_by_id(self, account_id: str) -> StoredAccount | None:
        self.lookups += 1
        found = self.rows.get(account_id)
        return stored(found) if found else None

    async def find_many(self, account_ids: Sequence[str]) -> list[StoredAccount]:
        if self.failure:
            raise self.failure
        self.many_lookups.append(list(account_ids))
        return [stored(self.rows[i]) for i in account_ids if i in self.rows]

    async def change_marker(self) -> int | None:
        return self.marker

    async def ping(self) -> None:
        if self.failure:
            raise self.failure

    async def find_by_holder(self, holder: str) -> list[StoredAccount]:
        return [stored(r) for r in self._ordered() if r["holder"] == holder]

    async def find_with_balance(
        self, comparison: Comparison, balance_cents: int
    ) -> list[StoredAccount]:
        if comparison is Comparison.GREATER_THAN:
            found = [r for r in self.rows.values() if r["balance_cents"] > balance_cents]
        else:
            found = [r for r in self.rows.values() if r["balance_cents"] < balance_cents]
        found.sort(key=lambda r: (r["balance_cents"], r["account_id"]))
        return [stored(r) for r in found]

    async def page_after(self, after_account_id: str | None, limit: int) -> Page:
        self.page_limits.append(limit)
        start = after_account_id or ""
        found = [r for r in self._ordered() if r["account_id"] > start][:limit]
        return Page([stored(r).wire for r in found], found[-1]["account_id"] if found else None)

    def _ordered(self) -> list[Row]:
        return sorted(self.rows.values(), key=lambda r: r["account_id"])


def dispatcher_over(reader: AccountReader) -> Dispatcher[Any]:
    dispatcher: Dispatcher[Any] = Dispatcher()
    register_handlers(dispatcher, reader)
    return dispatcher


def ids(count: int) -> list[str]:
    return [f"00000000-0000-4000-8000-{n:012d}" for n in range(count)]


async def all_pages(dispatcher: Dispatcher[Any], page_size: int) -> list[list[str]]:
    """The account ids of each page streamed."""
    pages: AsyncIterator[list[bytes]] = await dispatcher.send(FindAllAccounts(page_size))
    return [
        [account_pb2.Account.FromString(wire.account(w)).account_id for w in page]
        async for page in pages
    ]


async def test_find_by_id_returns_the_stored_account() -> None:
    queries = dispatcher_over(FakeReader(row()))
    assert await queries.send(FindAccountById(ACCOUNT_ID)) == stored(row())


async def test_unknown_account_is_not_found_with_the_agreed_message() -> None:
    queries = dispatcher_over(FakeReader())
    with pytest.raises(NotFound, match=f"^{re.escape(UNKNOWN_ACCOUNT)}$"):
        await queries.send(FindAccountById(ACCOUNT_ID))
    assert UNKNOWN_ACCOUNT == "Incorrect account ID provided!"


async def test_min_version_already_reached_answers_at_once() -> None:
    reader = FakeReader(row(version=3))
    found = await dispatcher_over(reader).send(FindAccountById(ACCOUNT_ID, min_version=2))
    assert found.version == 3
    assert (reader.lookups, reader.many_lookups) == (1, [])


async def later(seconds: float, action: Callable[[], None]) -> None:
    await asyncio.sleep(seconds)
    action()


async def test_min_version_waits_until_the_read_model_catches_up() -> None:
    reader = FakeReader(row(version=1))
    query = FindAccountById(ACCOUNT_ID, min_version=2, max_wait_seconds=5)
    catching_up = later(0.02, lambda: reader.put(row(version=2, balance_cents=1_500)))
    found, _ = await asyncio.gather(dispatcher_over(reader).send(query), catching_up)
    assert found == stored(row(version=2, balance_cents=1_500))


async def test_min_version_waits_for_an_account_not_yet_projected() -> None:
    reader = FakeReader()
    query = FindAccountById(ACCOUNT_ID, min_version=1, max_wait_seconds=5)
    opening = later(0.02, lambda: reader.put(row(version=1)))
    found, _ = await asyncio.gather(dispatcher_over(reader).send(query), opening)
    assert found.version == 1


async def test_min_version_past_the_deadline_is_deadline_exceeded() -> None:
    reader = FakeReader(row(version=1))
    query = FindAccountById(ACCOUNT_ID, min_version=2, max_wait_seconds=0.05)
    with pytest.raises(DeadlineExceeded, match=f"version 2 of account {ACCOUNT_ID}"):
        await dispatcher_over(reader).send(query)


async def test_min_version_with_no_time_left_still_looks_once() -> None:
    reader = FakeReader(row(version=5))
    query = FindAccountById(ACCOUNT_ID, min_version=5, max_wait_seconds=0)
    assert (await dispatcher_over(reader).send(query)).version == 5


async def test_many_callers_waiting_share_each_look_at_the_read_model() -> None:
    accounts = ids(100)
    reader = FakeReader(*(row(a) for a in accounts))
    queries = dispatcher_over(reader)
    waits = [queries.send(FindAccountById(a, min_version=2, max_wait_seconds=5)) for a in accounts]

    def catch_up() -> None:
        for account_id in accounts:
            reader.put(row(account_id, version=2))

    catching_up = later(0.05, catch_up)
    found = await asyncio.gather(*waits, catching_up)
    assert [f.version for f in found[:-1]] == [2] * 100
    assert reader.lookups == 100  # each caller's own first look
    assert all(sorted(ids_read) == accounts for ids_read in reader.many_lookups)
    assert len(reader.many_lookups) < 100  # and the watcher's looks: one query for all


async def test_the_watcher_reads_only_when_the_read_model_changed() -> None:
    reader = FakeReader(row(version=1))
    reader.marker = 0
    query = FindAccountById(ACCOUNT_ID, min_version=2, max_wait_seconds=5)
    catching_up = later(0.1, lambda: reader.put(row(version=2)))
    found, _ = await asyncio.gather(dispatcher_over(reader).send(query), catching_up)
    assert found.version == 2
    assert len(reader.many_lookups) == 2  # when the caller arrived, and after the change


async def test_a_read_model_failure_reaches_every_waiting_caller() -> None:
    reader = FakeReader(row(version=1))
    reader.failure = Unavailable("the read database is unavailable")
    queries = dispatcher_over(reader)
    waits = [queries.send(FindAccountById(ACCOUNT_ID, 2, max_wait_seconds=5)) for _ in range(3)]
    results = await asyncio.gather(*waits, return_exceptions=True)
    assert all(isinstance(r, Unavailable) for r in results)


async def test_all_accounts_come_in_pages_of_the_requested_size() -> None:
    reader = FakeReader(*(row(account_id) for account_id in ids(7)))
    pages = await all_pages(dispatcher_over(reader), page_size=3)
    assert pages == [
        ids(7)[0:3],
        ids(7)[3:6],
        ids(7)[6:],
    ]


async def test_an_exactly_full_last_page_ends_with_one_empty_read_and_no_empty_page() -> None:
    reader = FakeReader(*(row(account_id) for account_id in ids(4)))
    pages = await all_pages(dispatcher_over(reader), page_size=2)
    assert [len(page) for page in pages] == [2, 2]
    assert len(reader.page_limits) == 3


async def test_no_accounts_means_no_pages() -> None:
    assert await all_pages(dispatcher_over(FakeReader()), page_size=10) == []


@pytest.mark.parametrize(
    ("requested", "used"),
    [(0, DEFAULT_PAGE_SIZE), (1, 1), (MAX_PAGE_SIZE, MAX_PAGE_SIZE), (5_000, MAX_PAGE_SIZE)],
)
async def test_page_size_zero_means_default_and_large_ones_are_capped(
    requested: int, used: int
) -> None:
    reader = FakeReader(row())
    await all_pages(dispatcher_over(reader), page_size=requested)
    assert set(reader.page_limits) == {used}


async def test_negative_page_size_is_invalid_before_any_read() -> None:
    reader = FakeReader(row())
    with pytest.raises(InvalidInput, match="page_size"):
        await dispatcher_over(reader).send(FindAllAccounts(-1))
    assert reader.page_limits == []


async def test_accounts_by_holder_match_exactly() -> None:
    ada, other = row(ids(1)[0]), row(ids(2)[1], holder="ada lovelace")
    queries = dispatcher_over(FakeReader(ada, other))
    assert await queries.send(FindAccountsByHolder("Ada Lovelace")) == [stored(ada)]


@pytest.mark.parametrize("holder", ["", "   ", "\t\n", "x" * 201])
async def test_empty_blank_or_too_long_holder_is_invalid(holder: str) -> None:
    with pytest.raises(InvalidInput, match="holder"):
        await dispatcher_over(FakeReader()).send(FindAccountsByHolder(holder))


async def test_holder_of_exactly_the_maximum_length_is_accepted() -> None:
    assert await dispatcher_over(FakeReader()).send(FindAccountsByHolder("x" * 200)) == []


async def test_accounts_with_balance_compare_strictly() -> None:
    low, mid, high = (row(i, balance_cents=c) for i, c in zip(ids(3), (100, 200, 300), strict=True))
    queries = dispatcher_over(FakeReader(high, low, mid))
    above = await queries.send(FindAccountsWithBalance(Comparison.GREATER_THAN, 100))
    below = await queries.send(FindAccountsWithBalance(Comparison.LESS_THAN, 300))
    assert (above, below) == ([stored(mid), stored(high)], [stored(low), stored(mid)])


async def test_balance_query_without_a_comparison_is_invalid() -> None:
    with pytest.raises(InvalidInput, match="equality_type"):
        await dispatcher_over(FakeReader()).send(FindAccountsWithBalance(None, 100))
