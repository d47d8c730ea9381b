"""The command calls of TechbankClient: each carries a request id, a new uuid4 unless the
caller gives one, made once and sent unchanged on every try, so a retry is safe."""

import uuid
from typing import TYPE_CHECKING, Protocol, TypeVar

import grpc

from techbank.account.v1 import commands_pb2
from techbank_client.models import AccountType, CommandResult
from techbank_client.retry import COMMAND_RETRIES, RetryPolicy, with_retries
from techbank_client.translation import account_type_to_wire

if TYPE_CHECKING:
    from techbank.account.v1.commands_pb2_grpc import AccountCommandServiceAsyncStub

Request = TypeVar("Request")
# Sent with each call about one account, so that a proxy in front of several command
# servers can send an account's calls to one of them, whose cached state of it is then
# current (docker/nginx/grpc-proxy.conf.template hashes on it). Only the cost depends on
# it: any server decides any call correctly.
ROUTING_HEADER = "techbank-account-id"


class Answer(Protocol):
    """What every command answers (OpenAccountResponse, DepositFundsResponse, ...)."""

    account_id: str
    version: int


Reply = TypeVar("Reply", bound=Answer)


def new_request_id() -> str:
    return str(uuid.uuid4())


class CommandCalls:
    """`deadline`: the seconds each try may take (the client's default when None);
    `reference`: free text shown on the account's statement (up to 140 characters)."""

    _commands: "AccountCommandServiceAsyncStub"
    deadline: float
    retry: RetryPolicy

    async def open_account(
        self,
        holder: str,
        account_type: AccountType,
        opening_balance_cents: int = 0,
        *,
        request_id: str | None = None,
        deadline: float | None = None,
    ) -> CommandResult:
        request = commands_pb2.OpenAccountRequest(
            holder=holder,
            account_type=account_type_to_wire(account_type),
            opening_balance_cents=opening_balance_cents,
            request_id=request_id or new_request_id(),
        )
        return await self._command(self._commands.OpenAccount, request, deadline)

    async def deposit(
        self,
        account_id: str,
        amount_cents: int,
        *,
        reference: str = "",
        expected_version: int | None = None,
        request_id: str | None = None,
        deadline: float | None = None,
    ) -> CommandResult:
        request = commands_pb2.DepositFundsRequest(
            account_id=account_id,
            amount_cents=amount_cents,
            expected_version=expected_version,
            request_id=request_id or new_request_id(),
            reference=reference,
        )
        return await self._command(self._commands.DepositFunds, request, deadline)

    async def withdraw(
        self,
        account_id: str,
        amount_cents: int,
        *,
        reference: str = "",
        expected_version: int | None = None,
        request_id: str | None = None,
        deadline: float | None = None,
    ) -> CommandResult:
        request = commands_pb2.WithdrawFundsRequest(
            account_id=account_id,
            amount_cents=amount_cents,
            expected_version=expected_version,
            request_id=request_id or new_request_id(),
            reference=reference,
        )
        return await self._command(self._commands.WithdrawFunds, request, deadline)

    async def close_account(
        self,
        account_id: str,
        *,
        expected_version: int | None = None,
        request_id: str | None = None,
        deadline: float | None = None,
    ) -> CommandResult:
        request = commands_pb2.CloseAccountRequest(
            account_id=account_id,
            expected_version=expected_version,
            request_id=request_id or new_request_id(),
        )
        return await self._command(self._commands.CloseAccount, request, deadline)

    async def _command(
        self,
        method: grpc.aio.UnaryUnaryMultiCallable[Request, Reply],
        request: Request,
        deadline: float | None,
    ) -> CommandResult:
        seconds = deadline or self.deadline
        routing = routing_metadata(getattr(request, "account_id", ""))
        reply = await with_retries(
            lambda: method(request, timeout=seconds, metadata=routing), COMMAND_RETRIES, self.retry
        )
        return CommandResult(reply.account_id, reply.version)


def routing_metadata(account_id: str) -> tuple[tuple[str, str], ...]:
    """The routing header for a call about `account_id`; none for a new account."""
    return ((ROUTING_HEADER, account_id),) if account_id else ()
