"""The gRPC AccountQueryService: decode the request, dispatch the query, encode the answer."""

from collections.abc import AsyncIterator
from typing import Any

import grpc

from adapters.grpc_edge import rpc_method
from core.deadline import seconds_left
from core.dispatcher import Dispatcher
from query_server import translation
from query_server.handlers import Pages
from query_server.queries import AccountView
from techbank.account.v1 import account_pb2, queries_pb2, queries_pb2_grpc

Context = grpc.aio.ServicerContext[Any, Any]
ANSWER_MARGIN_SECONDS = 0.05


class AccountQueryServicer(queries_pb2_grpc.AccountQueryServiceServicer):
    def __init__(self, queries: Dispatcher[Any]) -> None:
        # One dispatcher carries every query; each method knows its own query's result type.
        self._queries = queries

    @rpc_method
    async def FindAllAccounts(
        self, request: queries_pb2.FindAllAccountsQuery, context: Context
    ) -> AsyncIterator[queries_pb2.AccountPage]:
        pages: Pages = await self._queries.send(translation.find_all_accounts(request))
        async for page in pages:
            yield translation.account_page(page)

    @rpc_method
    async def FindAccountById(
        self, request: queries_pb2.FindAccountByIdQuery, context: Context
    ) -> account_pb2.Account:
        query = translation.find_account_by_id(request, max_wait_seconds())
        view: AccountView = await self._queries.send(query)
        return translation.account(view)

    @rpc_method
    async def FindAccountsByHolder(
        self, request: queries_pb2.FindAccountsByHolderQuery, context: Context
    ) -> queries_pb2.AccountList:
        views: list[AccountView] = await self._queries.send(
            translation.find_accounts_by_holder(request)
        )
        return translation.account_list(views)

    @rpc_method
    async def FindAccountsWithBalance(
        self, request: queries_pb2.FindAccountsWithBalanceQuery, context: Context
    ) -> queries_pb2.AccountList:
        views: list[AccountView] = await self._queries.send(
            translation.find_accounts_with_balance(request)
        )
        return translation.account_list(views)


def max_wait_seconds() -> float:
    """What is left of the call's deadline (set by the gRPC edge; the server's cap without one).

    Give up a little early, so that our DEADLINE_EXCEEDED, which says which version was
    awaited, reaches the client before its own bare "Deadline Exceeded" does.
    """
    return max(seconds_left() - ANSWER_MARGIN_SECONDS, 0.0)
