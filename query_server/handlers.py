"""Query handlers: check what the caller asked for, then read the read model."""

from collections.abc import AsyncIterator
from functools import partial
from typing import Any

from core.dispatcher import Dispatcher
from core.errors import InvalidInput, NotFound
from core.text import checked_text
from projector.schema import MAX_HOLDER_LENGTH
from query_server.account_reader import AccountReader, StoredAccount
from query_server.queries import (
    FindAccountById,
    FindAccountsByHolder,
    FindAccountsWithBalance,
    FindAllAccounts,
)
from query_server.version_watch import VersionWatch

UNKNOWN_ACCOUNT = "Incorrect account ID provided!"
ACCOUNT_NOT_FOUND = "ACCOUNT_NOT_FOUND"  # its reason (ErrorInfo.reason)
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000

Pages = AsyncIterator[list[bytes]]  # each page: the accounts, framed


async def find_account_by_id(
    query: FindAccountById, reader: AccountReader, watch: VersionWatch
) -> StoredAccount:
    """The account; with `min_version`, once the read model has that version of it.

    An absent account is waited for too: it may be one the caller has just opened.
    """
    account = await reader.find_by_id(query.account_id)
    if query.min_version is None:
        if account is None:
            about = {"accountId": query.account_id}
            raise NotFound(UNKNOWN_ACCOUNT, reason=ACCOUNT_NOT_FOUND, metadata=about)
        return account
    if account is not None and account.version >= query.min_version:
        return account
    return await watch.wait_for(query.account_id, query.min_version, query.max_wait_seconds)


async def find_all_accounts(query: FindAllAccounts, reader: AccountReader) -> Pages:
    """Check the page size now, so a bad one fails the call before any page is sent."""
    return _pages(reader, page_size_of(query.page_size))


def page_size_of(requested: int) -> int:
    if requested < 0:
        raise InvalidInput(f"page_size must not be negative, got {requested}", field="page_size")
    if requested == 0:
        return DEFAULT_PAGE_SIZE
    return min(requested, MAX_PAGE_SIZE)


async def _pages(reader: AccountReader, page_size: int) -> Pages:
    after: str | None = None
    while True:
        page = await reader.page_after(after, page_size)
        if page.wires:
            yield page.wires
        if len(page.wires) < page_size:
            return
        after = page.last_account_id


async def find_accounts_by_holder(
    query: FindAccountsByHolder, reader: AccountReader
) -> list[StoredAccount]:
    """The accounts of exactly this holder, checked and normalised as OpenAccount does."""
    return await reader.find_by_holder(checked_text("holder", query.holder, MAX_HOLDER_LENGTH))


async def find_accounts_with_balance(
    query: FindAccountsWithBalance, reader: AccountReader
) -> list[StoredAccount]:
    if query.comparison is None:
        message = "equality_type must be GREATER_THAN or LESS_THAN"
        raise InvalidInput(message, field="equality_type")
    return await reader.find_with_balance(query.comparison, query.balance_cents)


def register_handlers(dispatcher: Dispatcher[Any], reader: AccountReader) -> None:
    watch = VersionWatch(reader)
    dispatcher.register(FindAccountById, partial(find_account_by_id, reader=reader, watch=watch))
    dispatcher.register(FindAllAccounts, partial(find_all_accounts, reader=reader))
    dispatcher.register(FindAccountsByHolder, partial(find_accounts_by_holder, reader=reader))
    dispatcher.register(FindAccountsWithBalance, partial(find_accounts_with_balance, reader=reader))
