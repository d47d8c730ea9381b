"""Query handlers against a hand-written in-memory reader."""

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest

from core.dispatcher import Dispatcher
from core.errors import DeadlineExceeded, InvalidInput, NotFound
from query_server.account_reader import AccountReader
from query_server.handlers import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    UNKNOWN_ACCOUNT,
    register_handlers,
)
from query_server.queries import (
    AccountView,
    Comparison,
    FindAccountById,
    FindAccountsByHolder,
    FindAccountsWithBalance,
    FindAllAccounts,
)

ACCOUNT_ID = "6f1c2a9e-3b4d-4e5f-8a7b-9c0d1e2f3a4b"


def view(account_id: str = ACCOUNT_ID, version: int = 1, **changes: Any) -> AccountView:
    fields: dict[str, Any] = {
        "account_id": account_id,
        "holder": "Ada Lovelace",
        "account_type": "SAVINGS",
        "balance_cents": 1_000,
        "status": "OPEN",
        "opened_at": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        "version": version,
    } | changes
    return AccountView(**fields)


class FakeReader(AccountReader):
    """Keeps views in a dict; `advance_after` lets a view's version move on as it is polled."""

    def __init__(self, *views: AccountView) -> None:
        self.views = {v.account_id: v for v in views}
        self.lookups = 0
        self.page_limits: list[int] = []
        self.advance_after: tuple[int, AccountView] | None = None

    async def find_by_id(self, account_id: str) -> AccountView | None:
        self.lookups += 1
        if self.advance_after and self.lookups > self.advance_after[0]:
            later = self.advance_after[1]
            self.views[later.account_id] = later
        return self.views.get(account_id)

    async def find_by_holder(self, holder: str) -> list[AccountView]:
        return sorted(
            (v for v in self.views.values() if v.holder == holder), key=lambda v: v.account_id
        )

    async def find_with_balance(
        self, comparison: Comparison, balance_cents: int
    ) -> list[AccountView]:
        if comparison is Comparison.GREATER_THAN:
            found = [v for v in self.views.values() if v.balance_cents > balance_cents]
        else:
            found = [v for v in self.views.values() if v.balance_cents < balance_cents]
        return sorted(found, key=lambda v: (v.balance_cents, v.account_id))

    async def page_after(self, after_account_id: str | None, limit: int) -> list[AccountView]:
        self.page_limits.append(limit)
        ordered = sorted(self.views.values(), key=lambda v: v.account_id)
        return [v for v in ordered if after_account_id is None or v.account_id > after_account_id][
            :limit
        ]


def dispatcher_over(reader: AccountReader) -> Dispatcher[Any]:
    dispatcher: Dispatcher[Any] = Dispatcher()
    register_handlers(dispatcher, reader)
    return dispatcher


def ids(count: int) -> list[str]:
    return [f"00000000-0000-4000-8000-{n:012d}" for n in range(count)]


async def all_pages(dispatcher: Dispatcher[Any], page_size: int) -> list[list[AccountView]]:
    pages: AsyncIterator[list[AccountView]] = await dispatcher.send(FindAllAccounts(page_size))
    return [page async for page in pages]


async def test_find_by_id_returns_the_view() -> None:
    queries = dispatcher_over(FakeReader(view()))
    assert await queries.send(FindAccountById(ACCOUNT_ID)) == view()


async def test_unknown_account_is_not_found_with_the_agreed_message() -> None:
    queries = dispatcher_over(FakeReader())
    with pytest.raises(NotFound, match=f"^{re.escape(UNKNOWN_ACCOUNT)}$"):
        await queries.send(FindAccountById(ACCOUNT_ID))
    assert UNKNOWN_ACCOUNT == "Incorrect account ID provided!"


async def test_min_version_already_reached_answers_at_once() -> None:
    reader = FakeReader(view(version=3))
    found = await dispatcher_over(reader).send(FindAccountById(ACCOUNT_ID, min_version=2))
    assert found.version == 3
    assert reader.lookups == 1


async def test_min_version_waits_until_the_read_model_catches_up() -> None:
    reader = FakeReader(view(version=1))
    reader.advance_after = (3, view(version=2, balance_cents=1_500))
    query = FindAccountById(ACCOUNT_ID, min_version=2, max_wait_seconds=5)
    found = await dispatcher_over(reader).send(query)
    assert (found.version, found.balance_cents) == (2, 1_500)
    assert reader.lookups == 4


async def test_min_version_waits_for_an_account_not_yet_projected() -> None:
    reader = FakeReader()
    reader.advance_after = (2, view(version=1))
    query = FindAccountById(ACCOUNT_ID, min_version=1, max_wait_seconds=5)
    assert (await dispatcher_over(reader).send(query)).version == 1


async def test_min_version_past_the_deadline_is_deadline_exceeded() -> None:
    reader = FakeReader(view(version=1))
    query = FindAccountById(ACCOUNT_ID, min_version=2, max_wait_seconds=0.05)
    with pytest.raises(DeadlineExceeded, match=f"version 2 of account {ACCOUNT_ID}"):
        await dispatcher_over(reader).send(query)
    assert reader.lookups > 1


async def test_min_version_with_no_time_left_still_looks_once() -> None:
    reader = FakeReader(view(version=5))
    query = FindAccountById(ACCOUNT_ID, min_version=5, max_wait_seconds=0)
    assert (await dispatcher_over(reader).send(query)).version == 5


async def test_all_accounts_come_in_pages_of_the_requested_size() -> None:
    reader = FakeReader(*(view(account_id) for account_id in ids(7)))
    pages = await all_pages(dispatcher_over(reader), page_size=3)
    assert [[v.account_id for v in page] for page in pages] == [
        ids(7)[0:3],
        ids(7)[3:6],
        ids(7)[6:],
    ]


async def test_an_exactly_full_last_page_ends_with_one_empty_read_and_no_empty_page() -> None:
    reader = FakeReader(*(view(account_id) for account_id in ids(4)))
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
    reader = FakeReader(view())
    await all_pages(dispatcher_over(reader), page_size=requested)
    assert set(reader.page_limits) == {used}


async def test_negative_page_size_is_invalid_before_any_read() -> None:
    reader = FakeReader(view())
    with pytest.raises(InvalidInput, match="page_size"):
        await dispatcher_over(reader).send(FindAllAccounts(-1))
    assert reader.page_limits == []


async def test_accounts_by_holder_match_exactly() -> None:
    ada, other = view(ids(1)[0]), view(ids(2)[1], holder="ada lovelace")
    queries = dispatcher_over(FakeReader(ada, other))
    assert await queries.send(FindAccountsByHolder("Ada Lovelace")) == [ada]


@pytest.mark.parametrize("holder", ["", "   ", "\t\n", "x" * 201])
async def test_empty_blank_or_too_long_holder_is_invalid(holder: str) -> None:
    with pytest.raises(InvalidInput, match="holder"):
        await dispatcher_over(FakeReader()).send(FindAccountsByHolder(holder))


async def test_holder_of_exactly_the_maximum_length_is_accepted() -> None:
    assert await dispatcher_over(FakeReader()).send(FindAccountsByHolder("x" * 200)) == []


async def test_accounts_with_balance_compare_strictly() -> None:
    low, mid, high = (
        view(i, balance_cents=c) for i, c in zip(ids(3), (100, 200, 300), strict=True)
    )
    queries = dispatcher_over(FakeReader(high, low, mid))
    above = await queries.send(FindAccountsWithBalance(Comparison.GREATER_THAN, 100))
    below = await queries.send(FindAccountsWithBalance(Comparison.LESS_THAN, 300))
    assert (above, below) == ([mid, high], [low, mid])


async def test_balance_query_without_a_comparison_is_invalid() -> None:
    with pytest.raises(InvalidInput, match="equality_type"):
        await dispatcher_over(FakeReader()).send(FindAccountsWithBalance(None, 100))
