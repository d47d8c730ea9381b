"""Every account of a paged answer: following next_page_token page after page, and
resuming a broken FindAllAccounts stream from the last token it gave."""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence

import grpc

from techbank.account.v1 import account_pb2, queries_pb2
from techbank_client.errors import TechbankError
from techbank_client.models import Account
from techbank_client.retry import RetryPolicy, Sleep
from techbank_client.translation import account_from_wire

Page = tuple[Sequence[account_pb2.Account], str]  # a page's accounts and its next_page_token
PageFetcher = Callable[[str], Awaitable[Page]]  # page_token -> page
Stream = grpc.aio.UnaryStreamCall[
    queries_pb2.FindAllAccountsRequest, queries_pb2.FindAllAccountsResponse
]
StreamOpener = Callable[[str], Stream]  # page_token -> the stream from there


async def every_account(fetch: PageFetcher) -> AsyncIterator[Account]:
    """The accounts of the first page, then of each page its token leads to."""
    token = ""
    while True:
        accounts, token = await fetch(token)
        for account in accounts:
            yield account_from_wire(account)
        if not token:
            return


async def resumed_stream(
    open_stream: StreamOpener,
    policy: RetryPolicy,
    page_token: str = "",
    sleep: Sleep = asyncio.sleep,
) -> AsyncIterator[Account]:
    """Every account the stream from `page_token` gives. A stream broken by UNAVAILABLE is
    opened again from the last next_page_token received, so no account is lost or repeated;
    `policy.attempts` failures in a row without a page in between give up."""
    token, failures = page_token, 0
    while True:
        call = open_stream(token)
        try:
            async for page in call:
                failures = 0
                for account in page.accounts:
                    yield account_from_wire(account)
                token = page.next_page_token
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
