"""TechbankClient: typed async calls to the command and query servers.

The command server's channel carries its three services: account commands, transfers
(transfer_calls.py) and balances as of a moment (history_calls.py); the query server's
carries the read model's queries.

Every call has a deadline: `deadline` seconds (default 10) for each unary call (each try,
each page), `stream_deadline` (default 300) for each stream opened (all_accounts,
statement); a call may pass its own. Every command, a transfer too, carries a request id
that a retry keeps (command_calls.py); retry.py says which failures are tried again. Failures are
raised as TechbankError; money is int cents.
"""

from types import TracebackType

from techbank.account.v1 import (
    commands_pb2_grpc,
    history_pb2_grpc,
    queries_pb2_grpc,
    transfers_pb2_grpc,
)
from techbank_client.command_calls import CommandCalls
from techbank_client.history_calls import HistoryCalls
from techbank_client.query_calls import QueryCalls
from techbank_client.retry import RetryPolicy
from techbank_client.security import Security, open_channel
from techbank_client.transfer_calls import TransferCalls

DEFAULT_COMMAND_ADDRESS = "127.0.0.1:50051"
DEFAULT_QUERY_ADDRESS = "127.0.0.1:50052"


class TechbankClient(CommandCalls, TransferCalls, HistoryCalls, QueryCalls):
    """Both servers, over one channel each. Use it as `async with TechbankClient() as bank`
    (or call close()); create it inside the event loop that uses it."""

    def __init__(
        self,
        command_address: str = DEFAULT_COMMAND_ADDRESS,
        query_address: str = DEFAULT_QUERY_ADDRESS,
        *,
        security: Security | None = None,
        deadline: float = 10.0,
        stream_deadline: float = 300.0,
        retry: RetryPolicy | None = None,
    ) -> None:
        security = security or Security()
        self._channels = [open_channel(command_address, security)]
        self._channels.append(open_channel(query_address, security))
        self._commands = commands_pb2_grpc.AccountCommandServiceStub(self._channels[0])
        self._transfers = transfers_pb2_grpc.TransferServiceStub(self._channels[0])
        self._history = history_pb2_grpc.AccountHistoryServiceStub(self._channels[0])
        self._queries = queries_pb2_grpc.AccountQueryServiceStub(self._channels[1])
        self.deadline, self.stream_deadline = deadline, stream_deadline
        self.retry = retry or RetryPolicy()

    async def close(self) -> None:
        for channel in self._channels:
            await channel.close()

    async def __aenter__(self) -> "TechbankClient":
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()
