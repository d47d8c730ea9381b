"""Query handlers: check what the caller asked for, then read the read model.

Every answer that can hold many accounts is paged (core.paging): the reader is asked for
one account more than a page holds, to tell whether there is a next page without a
query more; the next page starts after the sort key of the page's last account.
"""

from collections.abc import Callable
from functools import partial
from typing import cast

from bank.account import MAX_HOLDER_LENGTH, account_id_of, unknown_account
from bank.account_reader import AccountReader, Comparison, StoredAccount
from core.dispatcher import Dispatcher
from core.errors import Checks, InvalidInput, checked_text
from core.paging import INT64, VERSIONS, Page, PageTokens, Position, page_size_of
from query_server import translation as wire
from query_server.translation import (
    FindAccountById,
    FindAccountsByHolder,
    FindAccountsWithBalance,
    FindAllAccounts,
    GetAccountStatement,
    Pages,
    checked_min_version,
)
from query_server.version_watch import VersionWatch
from techbank.account.v1 import account_pb2

ALL_ACCOUNTS = PageTokens("all accounts", shape=(str,))  # by account id

SortKey = Callable[[account_pb2.Account], Position]


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
            raise unknown_account(about)
        return account
    if account is not None and account.version >= query.min_version:
        return account
    return await watch.wait_for(query.account_id, query.min_version, query.max_wait_seconds)


async def find_all_accounts(query: FindAllAccounts, reader: AccountReader) -> Pages:
    """Check the page size and token now, so that bad ones fail the call before any page."""
    check = Checks()
    page_size = check(lambda: page_size_of(query.page_size), 0)
    start = check(lambda: ALL_ACCOUNTS.position_of(query.page_token), None)
    check.done()
    return _pages(reader, page_size, start)


async def _pages(reader: AccountReader, page_size: int, start: Position | None) -> Pages:
    while True:
        found = await reader.page_after(_account_id(start), page_size + 1)
        page, start = paged(found, page_size, ALL_ACCOUNTS, _by_account_id)
        if page.items:
            yield page
        if start is None:
            return


async def find_accounts_by_holder(query: FindAccountsByHolder, reader: AccountReader) -> Page:
    """A page of exactly this holder's accounts, the holder checked and normalised as
    OpenAccount does."""
    check = Checks()
    holder = check(lambda: checked_text("holder", query.holder, MAX_HOLDER_LENGTH), "")
    page_size = check(lambda: page_size_of(query.page_size), 0)
    tokens = PageTokens(f"holder {holder}", shape=(str,))
    start = check(lambda: tokens.position_of(query.page_token), None)
    check.done()
    found = await reader.find_by_holder(holder, _account_id(start), page_size + 1)
    return page_of(found, page_size, tokens, _by_account_id)


async def find_accounts_with_balance(query: FindAccountsWithBalance, reader: AccountReader) -> Page:
    check = Checks()
    comparison = check(lambda: _comparison_of(query), None)
    page_size = check(lambda: page_size_of(query.page_size), 0)
    tokens = PageTokens(f"balance {query.comparison} {query.balance_cents}", shape=(INT64, str))
    start = check(lambda: tokens.position_of(query.page_token), None)
    check.done()
    assert comparison is not None  # the checks passed
    after = cast(tuple[int, str] | None, start)
    found = await reader.find_with_balance(comparison, query.balance_cents, after, page_size + 1)
    return page_of(found, page_size, tokens, _by_balance)


async def get_account_statement(
    query: GetAccountStatement, reader: AccountReader, watch: VersionWatch
) -> Pages:
    """Check every field, and that the account exists (at `min_version`, when given),
    now: so that a bad request or an unknown account fails before any page."""
    check = Checks()
    account_id = check(lambda: account_id_of(query.account_id), query.account_id)
    page_size = check(lambda: page_size_of(query.page_size), 0)
    tokens = PageTokens(f"statement {account_id}", shape=(VERSIONS,))
    start = check(lambda: tokens.position_of(query.page_token), None)
    min_version = check(lambda: checked_min_version(query.min_version), None)
    check.done()
    account = FindAccountById(account_id, min_version, query.max_wait_seconds)
    await find_account_by_id(account, reader, watch)
    after = 0 if start is None else cast(int, start[0])
    return _movement_pages(reader, account_id, page_size, tokens, after)


async def _movement_pages(
    reader: AccountReader, account_id: str, page_size: int, tokens: PageTokens, after: int
) -> Pages:
    while True:
        found = await reader.movements_after(account_id, after, page_size + 1)
        items = found[:page_size]
        if len(found) <= page_size:
            if items:
                yield Page(items, "")
            return
        after = wire.movement_of(items[-1]).version
        yield Page(items, tokens.token_after((after,)))


def _comparison_of(query: FindAccountsWithBalance) -> Comparison:
    if query.comparison is None:
        message = "equality_type must be GREATER_THAN or LESS_THAN"
        raise InvalidInput(message, field="equality_type")
    return query.comparison


def page_of(found: list[bytes], page_size: int, tokens: PageTokens, key: SortKey) -> Page:
    """The first `page_size` accounts found, with the token after the last of them when
    the reader found more (it is asked for one more than a page)."""
    return paged(found, page_size, tokens, key)[0]


def paged(
    found: list[bytes], page_size: int, tokens: PageTokens, key: SortKey
) -> tuple[Page, Position | None]:
    """page_of, and the position the next page starts after (None after the last)."""
    items = found[:page_size]
    if len(found) <= page_size:
        return Page(items, ""), None
    position = key(wire.account_of(items[-1]))
    return Page(items, tokens.token_after(position)), position


def _by_account_id(account: account_pb2.Account) -> Position:
    return (account.account_id,)


def _by_balance(account: account_pb2.Account) -> Position:
    return (account.balance_cents, account.account_id)


def _account_id(start: Position | None) -> str | None:
    return None if start is None else cast(str, start[0])


def register_handlers(dispatcher: Dispatcher[object], reader: AccountReader) -> None:
    watch = VersionWatch(reader)
    dispatcher.register(FindAccountById, partial(find_account_by_id, reader=reader, watch=watch))
    dispatcher.register(FindAllAccounts, partial(find_all_accounts, reader=reader))
    dispatcher.register(FindAccountsByHolder, partial(find_accounts_by_holder, reader=reader))
    dispatcher.register(FindAccountsWithBalance, partial(find_accounts_with_balance, reader=reader))
    dispatcher.register(
        GetAccountStatement, partial(get_account_statement, reader=reader, watch=watch)
    )
