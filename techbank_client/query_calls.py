"""The query calls of TechbankClient: reads, tried again only on UNAVAILABLE."""

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, TypeVar

import grpc

from techbank.account.v1 import queries_pb2
from techbank_client.models import Account, Comparison
from techbank_client.paging import Page, Stream, every_account, resumed_stream
from techbank_client.retry import QUERY_RETRIES, RetryPolicy, with_retries
from techbank_client.translation import account_from_wire, comparison_to_wire

if TYPE_CHECKING:
    from techbank.account.v1.queries_pb2_grpc import AccountQueryServiceAsyncStub

Request = TypeVar("Request")
Reply = TypeVar("Reply")


class QueryCalls:
    """`deadline`: the seconds each call (each page) may take; the client's default when None."""

    _queries: "AccountQueryServiceAsyncStub"
    deadline: float
    stream_deadline: float
    retry: RetryPolicy

    async def get_account(
        self, account_id: str, *, min_version: int | None = None, deadline: float | None = None
    ) -> Account:
        """The account; with `min_version`, once the read model has reached that version
        (waiting within the deadline: DEADLINE_EXCEEDED, never retried, past it)."""
        request = queries_pb2.FindAccountByIdRequest(account_id=account_id, min_version=min_version)
        reply = await self._query(self._queries.FindAccountById, request, deadline)
        return account_from_wire(reply.account)

    def find_by_holder(
        self, holder: str, *, page_size: int = 0, deadline: float | None = None
    ) -> AsyncIterator[Account]:
        """Every account of `holder`, page after page."""

        async def page(token: str) -> Page:
            request = queries_pb2.FindAccountsByHolderRequest(
                holder=holder, page_size=page_size, page_token=token
            )
            reply = await self._query(self._queries.FindAccountsByHolder, request, deadline)
            return reply.accounts, reply.next_page_token

        return every_account(page)

    def find_with_balance(
        self,
        comparison: Comparison,
        balance_cents: int,
        *,
        page_size: int = 0,
        deadline: float | None = None,
    ) -> AsyncIterator[Account]:
        """Every account whose balance is greater (or less) than `balance_cents`."""

        async def page(token: str) -> Page:
            request = queries_pb2.FindAccountsWithBalanceRequest(
                equality_type=comparison_to_wire(comparison),
                balance_cents=balance_cents,
                page_size=page_size,
                page_token=token,
            )
            reply = await self._query(self._queries.FindAccountsWithBalance, request, deadline)
            return reply.accounts, reply.next_page_token

        return every_account(page)

    def all_accounts(
        self, *, page_size: int = 0, page_token: str = "", deadline: float | None = None
    ) -> AsyncIterator[Account]:
        """Every account in account-id order (after `page_token`'s, when given). A stream
        broken by UNAVAILABLE is opened again where it broke; `deadline` (default the
        client's stream_deadline) bounds each stream opened."""
        seconds = deadline or self.stream_deadline

        def open_stream(token: str) -> Stream:
            request = queries_pb2.FindAllAccountsRequest(page_size=page_size, page_token=token)
            return self._queries.FindAllAccounts(request, timeout=seconds)

        return resumed_stream(open_stream, self.retry, page_token)

    async def _query(
        self,
        method: grpc.aio.UnaryUnaryMultiCallable[Request, Reply],
        request: Request,
        deadline: float | None,
    ) -> Reply:
        seconds = deadline or self.deadline
        return await with_retries(
            lambda: method(request, timeout=seconds), QUERY_RETRIES, self.retry
        )
