"""The AccountCommandService over gRPC: decode, dispatch, encode. Nothing else."""

from typing import Any

from adapters.grpc_auth import current_caller
from adapters.grpc_edge import rpc_method
from command_server import translation
from command_server.outcome import CommandOutcome
from core.dispatcher import Dispatcher
from techbank.account.v1 import commands_pb2, commands_pb2_grpc

Context = Any  # grpc.aio.ServicerContext, whose generic parameters add nothing here
Result = commands_pb2.CommandResult


class AccountCommandServicer(commands_pb2_grpc.AccountCommandServiceServicer):
    def __init__(self, dispatcher: Dispatcher[CommandOutcome]) -> None:
        self._dispatcher = dispatcher

    @rpc_method
    async def OpenAccount(
        self, request: commands_pb2.OpenAccountCommand, context: Context
    ) -> Result:
        outcome = await self._dispatcher.send(
            translation.open_account(request, current_caller().name)
        )
        return translation.command_result(outcome)

    @rpc_method
    async def DepositFunds(
        self, request: commands_pb2.DepositFundsCommand, context: Context
    ) -> Result:
        outcome = await self._dispatcher.send(
            translation.deposit_funds(request, current_caller().name)
        )
        return translation.command_result(outcome)

    @rpc_method
    async def WithdrawFunds(
        self, request: commands_pb2.WithdrawFundsCommand, context: Context
    ) -> Result:
        outcome = await self._dispatcher.send(
            translation.withdraw_funds(request, current_caller().name)
        )
        return translation.command_result(outcome)

    @rpc_method
    async def CloseAccount(
        self, request: commands_pb2.CloseAccountCommand, context: Context
    ) -> Result:
        outcome = await self._dispatcher.send(
            translation.close_account(request, current_caller().name)
        )
        return translation.command_result(outcome)
