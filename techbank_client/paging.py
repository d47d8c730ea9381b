"""Every item of a paged answer: following next_page_token page after page, and
resuming a broken stream (FindAllAccounts, GetAccountStatement) from the last token it
gave."""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from typing import Any, TypeVar

import grpc

from techbank.account.v1 import account_pb2, queries_pb2
from techbank_client.errors import TechbankError
from techbank_client.models import Account, Movement
from techbank_client.retry import RetryPolicy, Sleep
from techbank_client.translation import account_from_wire, movement_from_wire

Item = TypeVar("Item")
Reply = TypeVar("Reply")
Page = tuple[Sequence[account_pb2.Account], str]  # a page's accounts and its next_page_token
PageFetcher = Callable[[str], Awaitable[Page]]  # page_token -> page
StreamOpener = Callable[[str], grpc.aio.UnaryStreamCall[Any, Reply]]  # token -> stream from there
PageReader = Callable[[Reply], tuple[Iterable[Item], str]]  # a message -> its items, its token


async def every_account(fetch: PageFetcher) -> AsyncIterator[Account]:
    """The accounts of the first page, then of each page its token leads to."""
    token = ""
    while True:
        accounts, token = await fetch(token)
        for account in accounts:
            yield account_from_wire(account)
        if not token:
            return


def accounts_of(page: queries_pb2.FindAllAccountsResponse) -> tuple[Iterable[Account], str]:
    return map(account_from_wire, page.accounts), page.next_page_token


def movements_of(page: queries_pb2.GetAccountStatementResponse) -> tuple[Iterable[Movement], str]:
    return map(movement_from_wire, page.movements), page.next_page_token


async def resumed_stream(
    open_stream: StreamOpener[Reply],
    read_page: PageReader[Reply, Item],
    policy: RetryPolicy,
    page_token: str = "",
    sleep: Sleep = asyncio.sleep,
) -> AsyncIterator[Item]:
    """Every item the stream from `page_token` gives. A stream broken by UNAVAILABLE is
    opened again from the last next_page_token received, so no item is lost or repeated;
    `policy.attempts` failures in a row without a page in between give up."""
    token, failures = page_token, 0
    while True:
        call = open_stream(token)
        try:
            async for page in call:
                failures = 0
                items, token = read_page(page)
                for item in items:
                    yield item
                if not token:
                    return
            return
        except grpc.aio.AioRpcError as error:
            failures += 1
            if error.code() != grpc.StatusCode.UNAVAILABLE or failures >= policy.attempts:
                raise TechbankError.from_rpc_error(error) from error
        finally:
            call.cancel()
        await sleep(policy.backoff(failures))
