"""The AccountCommandService over gRPC: decode, dispatch, encode. Nothing else."""

from collections.abc import Callable
from typing import Any, TypeVar

from adapters.grpc.auth import current_caller
from adapters.grpc.edge import rpc_method
from adapters.grpc.errors import Context
from adapters.telemetry import tracing as logs
from bank.commands import AccountCommand, OpenAccount
from command_server import translation
from command_server.account_changes import CommandOutcome
from core.dispatcher import Dispatcher
from core.errors import DomainError
from techbank.account.v1 import commands_pb2, commands_pb2_grpc

Translation = Callable[[Any, str], OpenAccount | AccountCommand]  # request, client -> command
Response = TypeVar(
    "Response",
    commands_pb2.OpenAccountResponse,
    commands_pb2.DepositFundsResponse,
    commands_pb2.WithdrawFundsResponse,
    commands_pb2.CloseAccountResponse,
)


class AccountCommandServicer(commands_pb2_grpc.AccountCommandServiceServicer):
    def __init__(self, dispatcher: Dispatcher[CommandOutcome]) -> None:
        self._dispatcher = dispatcher

    @rpc_method
    async def OpenAccount(
        self, request: commands_pb2.OpenAccountRequest, context: Context
    ) -> commands_pb2.OpenAccountResponse:
        return await self._send(translation.open_account, request, commands_pb2.OpenAccountResponse)

    @rpc_method
    async def DepositFunds(
        self, request: commands_pb2.DepositFundsRequest, context: Context
    ) -> commands_pb2.DepositFundsResponse:
        return await self._send(
            translation.deposit_funds, request, commands_pb2.DepositFundsResponse
        )

    @rpc_method
    async def WithdrawFunds(
        self, request: commands_pb2.WithdrawFundsRequest, context: Context
    ) -> commands_pb2.WithdrawFundsResponse:
        return await self._send(
            translation.withdraw_funds, request, commands_pb2.WithdrawFundsResponse
        )

    @rpc_method
    async def CloseAccount(
        self, request: commands_pb2.CloseAccountRequest, context: Context
    ) -> commands_pb2.CloseAccountResponse:
        return await self._send(
            translation.close_account, request, commands_pb2.CloseAccountResponse
        )

    async def _send(
        self,
        command_of: Translation,
        request: translation.CommandRequest,
        response_type: type[Response],
    ) -> Response:
        """Translate, dispatch, answer; an error names what it is about (its metadata).

        Each RPC has a response message of its own; all four hold the account and its version.
        """
        logged_as = logs.request_id.set(request.request_id)
        try:
            command = command_of(request, current_caller().name)
            outcome = await self._dispatcher.send(command)
        except DomainError as error:
            error.metadata = translation.subject_of(request) | error.metadata
            raise
        finally:
            logs.request_id.reset(logged_as)
        return response_type(account_id=outcome.account_id, version=outcome.version)
