"""The query calls of TechbankClient: reads, tried again only on UNAVAILABLE."""

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, TypeVar

import grpc

from techbank.account.v1 import queries_pb2
from techbank_client.models import Account, Comparison, Movement
from techbank_client.paging import (
    Page,
    accounts_of,
    every_account,
    movements_of,
    resumed_stream,
)
from techbank_client.retry import QUERY_RETRIES, RetryPolicy, with_retries
from techbank_client.translation import account_from_wire, comparison_to_wire

if TYPE_CHECKING:
    from techbank.account.v1.queries_pb2_grpc import AccountQueryServiceAsyncStub

Request = TypeVar("Request")
Reply = TypeVar("Reply")
AllAccountsStream = grpc.aio.UnaryStreamCall[
    queries_pb2.FindAllAccountsRequest, queries_pb2.FindAllAccountsResponse
]
StatementStream = grpc.aio.UnaryStreamCall[
    queries_pb2.GetAccountStatementRequest, queries_pb2.GetAccountStatementResponse
]


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

        def open_stream(token: str) -> AllAccountsStream:
            request = queries_pb2.FindAllAccountsRequest(page_size=page_size, page_token=token)
            return self._queries.FindAllAccounts(request, timeout=seconds)

        return resumed_stream(open_stream, accounts_of, self.retry, page_token)

    def statement(
        self,
        account_id: str,
        *,
        page_size: int = 0,
        page_token: str = "",
        min_version: int | None = None,
        deadline: float | None = None,
    ) -> AsyncIterator[Movement]:
        """The account's movements in the order they happened, each with the balance after
        it (those after `page_token`'s, when given); with `min_version`, once the read
        model has reached that version of the account. Resumed like all_accounts when
        broken; `deadline` (default the client's stream_deadline) bounds each stream."""
        seconds = deadline or self.stream_deadline

        def open_stream(token: str) -> StatementStream:
            request = queries_pb2.GetAccountStatementRequest(
                account_id=account_id,
                page_size=page_size,
                page_token=token,
                min_version=min_version,
            )
            return self._queries.GetAccountStatement(request, timeout=seconds)

        return resumed_stream(open_stream, movements_of, self.retry, page_token)

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
