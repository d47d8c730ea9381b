"""The AccountCommandService over gRPC: decode, dispatch, encode. Nothing else."""

from collections.abc import Callable
from typing import Any

from adapters.grpc_auth import current_caller
from adapters.grpc_edge import rpc_method
from command_server import translation
from command_server.domain.commands import AccountCommand, OpenAccount
from command_server.outcome import CommandOutcome
from core.dispatcher import Dispatcher
from core.errors import DomainError
from techbank.account.v1 import commands_pb2, commands_pb2_grpc

Context = Any  # grpc.aio.ServicerContext, whose generic parameters add nothing here
Result = commands_pb2.CommandResult
Translation = Callable[[Any, str], OpenAccount | AccountCommand]  # request, client -> command


class AccountCommandServicer(commands_pb2_grpc.AccountCommandServiceServicer):
    def __init__(self, dispatcher: Dispatcher[CommandOutcome]) -> None:
        self._dispatcher = dispatcher

    @rpc_method
    async def OpenAccount(
        self, request: commands_pb2.OpenAccountCommand, context: Context
    ) -> Result:
        return await self._send(translation.open_account, request)

    @rpc_method
    async def DepositFunds(
        self, request: commands_pb2.DepositFundsCommand, context: Context
    ) -> Result:
        return await self._send(translation.deposit_funds, request)

    @rpc_method
    async def WithdrawFunds(
        self, request: commands_pb2.WithdrawFundsCommand, context: Context
    ) -> Result:
        return await self._send(translation.withdraw_funds, request)

    @rpc_method
    async def CloseAccount(
        self, request: commands_pb2.CloseAccountCommand, context: Context
    ) -> Result:
        return await self._send(translation.close_account, request)

    async def _send(self, command_of: Translation, request: translation.CommandRequest) -> Result:
        """Translate, dispatch, answer; an error names what it is about (its metadata)."""
        try:
            command = command_of(request, current_caller().name)
            outcome = await self._dispatcher.send(command)
        except DomainError as error:
            error.metadata = translation.subject_of(request) | error.metadata
            raise
        return translation.command_result(outcome)
