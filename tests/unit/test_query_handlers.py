"""Query handlers against a hand-written in-memory reader."""

import asyncio
import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import pytest

from bank.account import UNKNOWN_ACCOUNT
from bank.account_reader import AccountReader, BalancePosition, Comparison, StoredAccount
from bank.read_rows import wire_of
from core.dispatcher import Dispatcher
from core.errors import DeadlineExceeded, InvalidInput, NotFound, Unavailable
from core.paging import DEFAULT_PAGE_SIZE, INVALID_PAGE_TOKEN, MAX_PAGE_SIZE, Page
from query_server import translation as wire
from query_server.bootstrap import query_dispatcher
from query_server.translation import (
    FindAccountById,
    FindAccountsByHolder,
    FindAccountsWithBalance,
    FindAllAccounts,
)

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
        self.movements: dict[str, list[bytes]] = {}  # account id -> framed, in version order

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

    async def find_by_holder(
        self, holder: str, after_account_id: str | None, limit: int
    ) -> list[bytes]:
        found = [r for r in self.rows.values() if r["holder"] == holder]
        return self._page(found, by_id, (after_account_id,) if after_account_id else None, limit)

    async def find_with_balance(
        self,
        comparison: Comparison,
        balance_cents: int,
        after: BalancePosition | None,
        limit: int,
    ) -> list[bytes]:
        if comparison is Comparison.GREATER_THAN:
            found = [r for r in self.rows.values() if r["balance_cents"] > balance_cents]
        else:
            found = [r for r in self.rows.values() if r["balance_cents"] < balance_cents]
        return self._page(found, by_balance, after, limit)

    async def movements_after(self, account_id: str, after_version: int, limit: int) -> list[bytes]:
        lines = self.movements.get(account_id, [])
        return [m for m in lines if wire.movement_of(m).version > after_version][:limit]

    async def page_after(self, after_account_id: str | None, limit: int) -> list[bytes]:
        self.page_limits.append(limit)
        after = (after_account_id,) if after_account_id else None
        return self._page(list(self.rows.values()), by_id, after, limit)

    def _page(
        self, found: list[Row], key: Callable[[Row], tuple[Any, ...]], after: Any, limit: int
    ) -> list[bytes]:
        ordered = sorted(found, key=key)
        return [stored(r).wire for r in ordered if after is None or key(r) > after][:limit]


def by_id(values: Row) -> tuple[str]:
    return (values["account_id"],)


def by_balance(values: Row) -> tuple[int, str]:
    return (values["balance_cents"], values["account_id"])


def dispatcher_over(reader: AccountReader) -> Dispatcher[object]:
    return query_dispatcher(reader)


def ids(count: int) -> list[str]:
    return [f"00000000-0000-4000-8000-{n:012d}" for n in range(count)]


async def all_pages(
    dispatcher: Dispatcher[object], page_size: int, page_token: str = ""
) -> list[list[str]]:
    """The account ids of each page streamed."""
    return [ids_of(page) for page in await streamed(dispatcher, page_size, page_token)]


async def streamed(
    dispatcher: Dispatcher[object], page_size: int, page_token: str = ""
) -> list[Page]:
    pages = await dispatcher.ask(FindAllAccounts(page_size, page_token))
    return [page async for page in pages]


def ids_of(page: Page) -> list[str]:
    return [wire.account_of(framed).account_id for framed in page.items]


async def test_find_by_id_returns_the_stored_account() -> None:
    queries = dispatcher_over(FakeReader(row()))
    assert await queries.ask(FindAccountById(ACCOUNT_ID)) == stored(row())


async def test_unknown_account_is_not_found_with_the_agreed_message() -> None:
    queries = dispatcher_over(FakeReader())
    with pytest.raises(NotFound, match=f"^{re.escape(UNKNOWN_ACCOUNT)}$"):
        await queries.ask(FindAccountById(ACCOUNT_ID))
    assert UNKNOWN_ACCOUNT == "Incorrect account ID provided!"


async def test_min_version_already_reached_answers_at_once() -> None:
    reader = FakeReader(row(version=3))
    found = await dispatcher_over(reader).ask(FindAccountById(ACCOUNT_ID, min_version=2))
    assert found.version == 3
    assert (reader.lookups, reader.many_lookups) == (1, [])


async def later(seconds: float, action: Callable[[], None]) -> None:
    await asyncio.sleep(seconds)
    action()


async def test_min_version_waits_until_the_read_model_catches_up() -> None:
    reader = FakeReader(row(version=1))
    query = FindAccountById(ACCOUNT_ID, min_version=2, max_wait_seconds=5)
    catching_up = later(0.02, lambda: reader.put(row(version=2, balance_cents=1_500)))
    found, _ = await asyncio.gather(dispatcher_over(reader).ask(query), catching_up)
    assert found == stored(row(version=2, balance_cents=1_500))


async def test_min_version_waits_for_an_account_not_yet_projected() -> None:
    reader = FakeReader()
    query = FindAccountById(ACCOUNT_ID, min_version=1, max_wait_seconds=5)
    opening = later(0.02, lambda: reader.put(row(version=1)))
    found, _ = await asyncio.gather(dispatcher_over(reader).ask(query), opening)
    assert found.version == 1


async def test_min_version_past_the_deadline_is_deadline_exceeded() -> None:
    reader = FakeReader(row(version=1))
    query = FindAccountById(ACCOUNT_ID, min_version=2, max_wait_seconds=0.05)
    with pytest.raises(DeadlineExceeded, match=f"version 2 of account {ACCOUNT_ID}"):
        await dispatcher_over(reader).ask(query)


async def test_min_version_with_no_time_left_still_looks_once() -> None:
    reader = FakeReader(row(version=5))
    query = FindAccountById(ACCOUNT_ID, min_version=5, max_wait_seconds=0)
    assert (await dispatcher_over(reader).ask(query)).version == 5


async def test_many_callers_waiting_share_each_look_at_the_read_model() -> None:
    accounts = ids(100)
    reader = FakeReader(*(row(a) for a in accounts))
    queries = dispatcher_over(reader)
    waits = [queries.ask(FindAccountById(a, min_version=2, max_wait_seconds=5)) for a in accounts]

    def catch_up() -> None:
        for account_id in accounts:
            reader.put(row(account_id, version=2))

    catching_up = later(0.05, catch_up)
    found = await asyncio.gather(*waits, catching_up)
    assert [f.version for f in found[:-1] if f is not None] == [2] * 100
    assert reader.lookups == 100  # each caller's own first look
    assert all(sorted(ids_read) == accounts for ids_read in reader.many_lookups)
    assert len(reader.many_lookups) < 100  # and the watcher's looks: one query for all


async def test_the_watcher_reads_only_when_the_read_model_changed() -> None:
    reader = FakeReader(row(version=1))
    reader.marker = 0
    query = FindAccountById(ACCOUNT_ID, min_version=2, max_wait_seconds=5)
    catching_up = later(0.1, lambda: reader.put(row(version=2)))
    found, _ = await asyncio.gather(dispatcher_over(reader).ask(query), catching_up)
    assert found.version == 2
    assert len(reader.many_lookups) == 2  # when the caller arrived, and after the change


async def test_a_read_model_failure_reaches_every_waiting_caller() -> None:
    reader = FakeReader(row(version=1))
    reader.failure = Unavailable("the read database is unavailable")
    queries = dispatcher_over(reader)
    waits = [queries.ask(FindAccountById(ACCOUNT_ID, 2, max_wait_seconds=5)) for _ in range(3)]
    results = await asyncio.gather(*waits, return_exceptions=True)
    assert all(isinstance(r, Unavailable) for r in results)


async def test_all_accounts_come_in_pages_of_the_requested_size() -> None:
    reader = FakeReader(*(row(account_id) for account_id in ids(7)))
    pages = await all_pages(dispatcher_over(reader), page_size=3)
    assert pages == [ids(7)[0:3], ids(7)[3:6], ids(7)[6:]]


async def test_every_page_but_the_last_says_where_the_next_starts() -> None:
    pages = await streamed(dispatcher_over(FakeReader(*map(row, ids(7)))), page_size=3)
    assert [bool(page.next_page_token) for page in pages] == [True, True, False]


async def test_an_exactly_full_last_page_ends_the_stream_without_another_read() -> None:
    reader = FakeReader(*(row(account_id) for account_id in ids(4)))
    pages = await streamed(dispatcher_over(reader), page_size=2)
    assert [len(page.items) for page in pages] == [2, 2]
    assert pages[-1].next_page_token == ""
    assert reader.page_limits == [3, 3]  # a page and one more, to tell whether one follows


async def test_a_broken_stream_resumes_after_the_last_page_delivered() -> None:
    queries = dispatcher_over(FakeReader(*map(row, ids(7))))
    first = (await streamed(queries, page_size=3))[0]
    rest = await all_pages(queries, page_size=2, page_token=first.next_page_token)
    assert rest == [ids(7)[3:5], ids(7)[5:7]]


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
    assert set(reader.page_limits) == {used + 1}


async def test_bad_page_size_and_token_are_both_reported_before_any_read() -> None:
    reader = FakeReader(row())
    with pytest.raises(InvalidInput) as refused:
        await dispatcher_over(reader).ask(FindAllAccounts(-1, "not a token"))
    assert [v.field for v in refused.value.violations] == ["page_size", "page_token"]
    assert reader.page_limits == []


async def test_a_token_of_another_query_is_refused() -> None:
    queries = dispatcher_over(FakeReader(*(row(i) for i in ids(3))))
    page: Page = await queries.ask(FindAccountsByHolder("Ada Lovelace", page_size=1))
    with pytest.raises(InvalidInput) as refused:
        await queries.ask(FindAllAccounts(1, page.next_page_token))
    assert refused.value.reason == INVALID_PAGE_TOKEN


async def test_accounts_by_holder_match_exactly() -> None:
    ada, other = row(ids(1)[0]), row(ids(2)[1], holder="ada lovelace")
    queries = dispatcher_over(FakeReader(ada, other))
    assert await queries.ask(FindAccountsByHolder("Ada Lovelace")) == Page([stored(ada).wire], "")


async def test_a_holders_accounts_come_a_page_at_a_time() -> None:
    queries = dispatcher_over(FakeReader(*map(row, ids(5)), row(ids(6)[5], holder="Bob")))
    first: Page = await queries.ask(FindAccountsByHolder("Ada Lovelace", page_size=3))
    second: Page = await queries.ask(
        FindAccountsByHolder("Ada Lovelace", page_size=3, page_token=first.next_page_token)
    )
    assert (ids_of(first), ids_of(second)) == (ids(5)[:3], ids(5)[3:])
    assert second.next_page_token == ""


async def test_a_holder_page_token_asked_with_another_holder_is_refused() -> None:
    queries = dispatcher_over(FakeReader(*map(row, ids(2))))
    first: Page = await queries.ask(FindAccountsByHolder("Ada Lovelace", page_size=1))
    with pytest.raises(InvalidInput) as refused:
        await queries.ask(FindAccountsByHolder("Bob", page_token=first.next_page_token))
    assert refused.value.reason == INVALID_PAGE_TOKEN


@pytest.mark.parametrize("holder", ["", "   ", "\t\n", "x" * 201])
async def test_empty_blank_or_too_long_holder_is_invalid(holder: str) -> None:
    with pytest.raises(InvalidInput, match="holder"):
        await dispatcher_over(FakeReader()).ask(FindAccountsByHolder(holder))


async def test_holder_of_exactly_the_maximum_length_is_accepted() -> None:
    found = await dispatcher_over(FakeReader()).ask(FindAccountsByHolder("x" * 200))
    assert found == Page([], "")


async def test_accounts_with_balance_compare_strictly() -> None:
    low, mid, high = (row(i, balance_cents=c) for i, c in zip(ids(3), (100, 200, 300), strict=True))
    queries = dispatcher_over(FakeReader(high, low, mid))
    above = await queries.ask(FindAccountsWithBalance(Comparison.GREATER_THAN, 100))
    below = await queries.ask(FindAccountsWithBalance(Comparison.LESS_THAN, 300))
    assert above == Page([stored(mid).wire, stored(high).wire], "")
    assert below == Page([stored(low).wire, stored(mid).wire], "")


async def test_balance_pages_continue_within_a_run_of_equal_balances() -> None:
    balances = (300, 200, 200, 200, 100)
    accounts = [row(i, balance_cents=c) for i, c in zip(ids(5), balances, strict=True)]
    queries = dispatcher_over(FakeReader(*accounts))
    pages: list[list[str]] = []
    token = ""
    while not pages or token:
        query = FindAccountsWithBalance(Comparison.GREATER_THAN, 0, page_size=2, page_token=token)
        page: Page = await queries.ask(query)
        pages.append(ids_of(page))
        token = page.next_page_token
    assert pages == [[ids(5)[4], ids(5)[1]], [ids(5)[2], ids(5)[3]], [ids(5)[0]]]


async def test_a_balance_page_token_asked_with_another_amount_is_refused() -> None:
    queries = dispatcher_over(FakeReader(*map(row, ids(2))))
    first: Page = await queries.ask(FindAccountsWithBalance(Comparison.GREATER_THAN, 0, 1))
    again = FindAccountsWithBalance(Comparison.GREATER_THAN, 1, 1, first.next_page_token)
    with pytest.raises(InvalidInput) as refused:
        await queries.ask(again)
    assert refused.value.reason == INVALID_PAGE_TOKEN


async def test_balance_query_without_a_comparison_is_invalid() -> None:
    with pytest.raises(InvalidInput, match="equality_type"):
        await dispatcher_over(FakeReader()).ask(FindAccountsWithBalance(None, 100))
