"""The gRPC AccountQueryService: decode the request, dispatch the query, encode the answer.

Answers are the read model's serialized accounts, framed into pages as they are
(query_server.translation): registered with adapters.grpc.services.add_service, the
methods return bytes.
"""

from collections.abc import AsyncIterator

from adapters.grpc.edge import rpc_method
from adapters.grpc.errors import Context
from adapters.grpc.limits import ClientQuota
from core.deadline import seconds_left
from core.dispatcher import Dispatcher
from query_server import translation
from query_server import translation as wire
from techbank.account.v1 import queries_pb2

ANSWER_MARGIN_SECONDS = 0.05


class AccountQueryServicer:
    def __init__(
        self, queries: Dispatcher[object], wait_cap_seconds: float, waits: ClientQuota
    ) -> None:
        self._queries = queries
        self._wait_cap_seconds = wait_cap_seconds
        self._waits = waits  # read-your-write waits each client may hold

    @rpc_method
    async def FindAllAccounts(
        self, request: queries_pb2.FindAllAccountsRequest, context: Context
    ) -> AsyncIterator[bytes]:
        pages = await self._queries.ask(translation.find_all_accounts(request))
        async for page in pages:
            yield wire.page(page)

    @rpc_method
    async def FindAccountById(
        self, request: queries_pb2.FindAccountByIdRequest, context: Context
    ) -> bytes:
        wait = min(max_wait_seconds(), self._wait_cap_seconds)
        query = translation.find_account_by_id(request, wait)
        if query.min_version:
            async with self._waits.held(context):
                account = await self._queries.ask(query)
        else:
            account = await self._queries.ask(query)
        return wire.account(account.wire)

    @rpc_method
    async def GetAccountStatement(
        self, request: queries_pb2.GetAccountStatementRequest, context: Context
    ) -> AsyncIterator[bytes]:
        wait = min(max_wait_seconds(), self._wait_cap_seconds)
        query = translation.get_account_statement(request, wait)
        if query.min_version:
            async with self._waits.held(context):
                pages = await self._queries.ask(query)
        else:
            pages = await self._queries.ask(query)
        async for page in pages:
            yield wire.page(page)

    @rpc_method
    async def FindAccountsByHolder(
        self, request: queries_pb2.FindAccountsByHolderRequest, context: Context
    ) -> bytes:
        found = await self._queries.ask(translation.find_accounts_by_holder(request))
        return wire.page(found)

    @rpc_method
    async def FindAccountsWithBalance(
        self, request: queries_pb2.FindAccountsWithBalanceRequest, context: Context
    ) -> bytes:
        found = await self._queries.ask(translation.find_accounts_with_balance(request))
        return wire.page(found)


def max_wait_seconds() -> float:
    """What is left of the call's deadline (set by the gRPC edge; the server's cap without one).

    Give up a little early, so that our DEADLINE_EXCEEDED, which says which version was
    awaited, reaches the client before its own bare "Deadline Exceeded" does.
    """
    return max(seconds_left() - ANSWER_MARGIN_SECONDS, 0.0)
