"""Query handlers: check what the caller asked for, then read the read model."""

import asyncio
from collections.abc import AsyncIterator
from functools import partial
from typing import Any

from core.dispatcher import Dispatcher
from core.errors import DeadlineExceeded, InvalidInput, NotFound
from projector.schema import MAX_HOLDER_LENGTH
from query_server.account_reader import AccountReader
from query_server.queries import (
    AccountView,
    FindAccountById,
    FindAccountsByHolder,
    FindAccountsWithBalance,
    FindAllAccounts,
)

UNKNOWN_ACCOUNT = "Incorrect account ID provided!"
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
# Polling starts fast, since the projector is usually a few milliseconds behind, and
# slows down so that a long wait does not hammer the read database.
FIRST_POLL_SECONDS = 0.01
LAST_POLL_SECONDS = 0.1

Pages = AsyncIterator[list[AccountView]]


async def find_account_by_id(query: FindAccountById, reader: AccountReader) -> AccountView:
    if query.min_version is None:
        view = await reader.find_by_id(query.account_id)
        if view is None:
            raise NotFound(UNKNOWN_ACCOUNT)
        return view
    return await _wait_for_version(query, query.min_version, reader)


async def _wait_for_version(
    query: FindAccountById, min_version: int, reader: AccountReader
) -> AccountView:
    """Poll until the read model has the account at `min_version` or later.

    An absent account is waited for too: it may be one the caller has just opened.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + query.max_wait_seconds
    pause = FIRST_POLL_SECONDS
    while True:
        view = await reader.find_by_id(query.account_id)
        if view is not None and view.version >= min_version:
            return view
        remaining = deadline - loop.time()
        if remaining <= 0:
            raise DeadlineExceeded(
                f"read model has not reached version {min_version} of account {query.account_id}"
            )
        await asyncio.sleep(min(pause, remaining))
        pause = min(pause * 2, LAST_POLL_SECONDS)


async def find_all_accounts(query: FindAllAccounts, reader: AccountReader) -> Pages:
    """Check the page size now, so a bad one fails the call before any page is sent."""
    return _pages(reader, page_size_of(query.page_size))


def page_size_of(requested: int) -> int:
    if requested < 0:
        raise InvalidInput(f"page_size must not be negative, got {requested}")
    if requested == 0:
        return DEFAULT_PAGE_SIZE
    return min(requested, MAX_PAGE_SIZE)


async def _pages(reader: AccountReader, page_size: int) -> Pages:
    after: str | None = None
    while True:
        page = await reader.page_after(after, page_size)
        if page:
            yield page
        if len(page) < page_size:
            return
        after = page[-1].account_id


async def find_accounts_by_holder(
    query: FindAccountsByHolder, reader: AccountReader
) -> list[AccountView]:
    if not query.holder.strip():
        raise InvalidInput("holder must not be empty")
    if len(query.holder) > MAX_HOLDER_LENGTH:
        raise InvalidInput(f"holder must be at most {MAX_HOLDER_LENGTH} characters")
    return await reader.find_by_holder(query.holder)


async def find_accounts_with_balance(
    query: FindAccountsWithBalance, reader: AccountReader
) -> list[AccountView]:
    if query.comparison is None:
        raise InvalidInput("equality_type must be GREATER_THAN or LESS_THAN")
    return await reader.find_with_balance(query.comparison, query.balance_cents)


def register_handlers(dispatcher: Dispatcher[Any], reader: AccountReader) -> None:
    dispatcher.register(FindAccountById, partial(find_account_by_id, reader=reader))
    dispatcher.register(FindAllAccounts, partial(find_all_accounts, reader=reader))
    dispatcher.register(FindAccountsByHolder, partial(find_accounts_by_holder, reader=reader))
    dispatcher.register(FindAccountsWithBalance, partial(find_accounts_with_balance, reader=reader))
