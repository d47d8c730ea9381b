"""A fake Techbank for the client's tests: every service of both servers on one
in-process grpc.aio server, misbehaving as the test plans (failing, stalling, refusing,
breaking a stream), and recording what each call carried: its request id, deadline, page
token, credentials, and (for the calls that keep it) the request itself.
"""

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import grpc
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp
from google.rpc import error_details_pb2, status_pb2

from techbank.account.v1 import (
    account_pb2,
    commands_pb2,
    commands_pb2_grpc,
    history_pb2,
    history_pb2_grpc,
    queries_pb2,
    queries_pb2_grpc,
    transfers_pb2,
    transfers_pb2_grpc,
)

Context = grpc.aio.ServicerContext[Any, Any]
STALL_SECONDS = 5.0  # longer than any deadline the tests give
INSUFFICIENT_FUNDS = ("INSUFFICIENT_FUNDS", "Withdraw declined, insufficient funds!")


@dataclass(frozen=True)
class Refusal:
    """An error with the details the real servers give (README, Errors)."""

    code: grpc.StatusCode
    reason: str
    message: str = "refused"
    metadata: dict[str, str] = field(default_factory=dict)
    violations: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Stall:
    """Answer after STALL_SECONDS: the client's deadline passes first."""


@dataclass(frozen=True)
class BreakAfter:
    """A stream that sends this many pages, then fails with UNAVAILABLE."""

    pages: int


Step = grpc.StatusCode | Refusal | Stall | BreakAfter


@dataclass(frozen=True)
class Seen:
    method: str
    request_id: str
    time_remaining: float | None
    page_token: str
    authorization: str
    request: Message | None = None
    routing: str = ""  # the techbank-account-id header, if sent


def account(number: int, holder: str = "Ada", balance_cents: int = 0) -> account_pb2.Account:
    return account_pb2.Account(
        account_id=f"00000000-0000-4000-8000-{number:012d}",
        holder=holder,
        account_type=account_pb2.ACCOUNT_TYPE_SAVINGS,
        balance_cents=balance_cents,
        status=account_pb2.ACCOUNT_STATUS_OPEN,
        opened_at=Timestamp(seconds=1_800_000_000),
        version=1,
    )


def movement(
    version: int, kind: queries_pb2.MovementKind.ValueType, amount_cents: int, balance_cents: int
) -> queries_pb2.Movement:
    return queries_pb2.Movement(
        version=version,
        kind=kind,
        amount_cents=amount_cents,
        balance_cents=balance_cents,
        occurred_at=Timestamp(seconds=1_800_000_000 + version),
    )


def transfer_of(
    request: transfers_pb2.TransferFundsRequest,
    accounts: Sequence[account_pb2.Account],
    number: int,
    *,
    pending: bool = False,
) -> transfers_pb2.Transfer:
    """The transfer as the real servers end it: refused if the source is unknown or short
    of money (nothing moved), or if the target is unknown (debited, then refunded); with
    `pending`, as answered when the call's deadline came before its debit."""
    transfer = transfers_pb2.Transfer(
        transfer_id=f"00000000-0000-4000-9000-{number:012d}",
        source_account_id=request.source_account_id,
        target_account_id=request.target_account_id,
        amount_cents=request.amount_cents,
        reference=request.reference,
        status=transfers_pb2.TRANSFER_STATUS_PENDING,
        version=1,
    )
    if pending:
        return transfer
    balances = {a.account_id: a.balance_cents for a in accounts}
    source = balances.get(request.source_account_id)
    if source is None:
        return refused(transfer, "ACCOUNT_NOT_FOUND", "no such account", refunded=False)
    if source < request.amount_cents:
        return refused(transfer, *INSUFFICIENT_FUNDS, refunded=False)
    if request.target_account_id not in balances:
        return refused(transfer, "ACCOUNT_NOT_FOUND", "no such account", refunded=True)
    transfer.status, transfer.version = transfers_pb2.TRANSFER_STATUS_COMPLETED, 3
    return transfer


def refused(
    transfer: transfers_pb2.Transfer, reason: str, message: str, *, refunded: bool
) -> transfers_pb2.Transfer:
    transfer.status = transfers_pb2.TRANSFER_STATUS_REFUSED
    transfer.refusal_reason, transfer.refusal_message = reason, message
    transfer.refunded, transfer.version = refunded, 3 if refunded else 2
    return transfer


def page_of(
    accounts: Sequence[account_pb2.Account], size: int, token: str
) -> tuple[list[account_pb2.Account], str]:
    """The page at `token` (an index, "" for 0) and the next page's token."""
    start, end = int(token or 0), int(token or 0) + (size or 100)
    return list(accounts[start:end]), str(end) if end < len(accounts) else ""


async def fail(context: Context, step: Refusal | grpc.StatusCode) -> None:
    refusal = step if isinstance(step, Refusal) else Refusal(step, step.name, "fake failure")
    status = status_pb2.Status(code=refusal.code.value[0], message=refusal.message)
    status.details.add().Pack(
        error_details_pb2.ErrorInfo(
            reason=refusal.reason, domain="techbank.account.v1", metadata=refusal.metadata
        )
    )
    if refusal.violations:
        violations = [
            error_details_pb2.BadRequest.FieldViolation(field=name, description=text)
            for name, text in refusal.violations
        ]
        status.details.add().Pack(error_details_pb2.BadRequest(field_violations=violations))
    trailer = (("grpc-status-details-bin", status.SerializeToString()),)
    await context.abort(refusal.code, refusal.message, trailing_metadata=trailer)


class FakeTechbank(
    commands_pb2_grpc.AccountCommandServiceServicer,
    transfers_pb2_grpc.TransferServiceServicer,
    history_pb2_grpc.AccountHistoryServiceServicer,
    queries_pb2_grpc.AccountQueryServiceServicer,
):
    """Calls take the planned steps in turn (one each); once the plan is done, they answer.
    Transfers end at once (transfer_of), unless `transfers_pending` says the deadline came
    first; a repeated request id answers the same transfer, as on the real servers."""

    def __init__(self, plan: Sequence[Step] = (), accounts: Sequence[account_pb2.Account] = ()):
        self.plan = list(plan)
        self.accounts = list(accounts)
        self.movements: dict[str, list[queries_pb2.Movement]] = {}  # account id -> in order
        self.seen: list[Seen] = []
        self.transfers: dict[str, transfers_pb2.Transfer] = {}  # transfer id -> as it stands
        self.transfer_requests: dict[str, str] = {}  # request id -> transfer id
        self.transfers_pending = False

    async def _take_step(
        self,
        context: Context,
        method: str,
        request_id: str = "",
        page_token: str = "",
        request: Message | None = None,
    ) -> Step | None:
        """Record the call; carry out a failing or stalling step; return a stream's step."""
        metadata = dict(context.invocation_metadata() or ())
        self.seen.append(
            Seen(
                method,
                request_id,
                context.time_remaining(),
                page_token,
                str(metadata.get("authorization", "")),
                request,
                str(metadata.get("techbank-account-id", "")),
            )
        )
        step = self.plan.pop(0) if self.plan else None
        if isinstance(step, Stall):
            await asyncio.sleep(STALL_SECONDS)
        elif isinstance(step, Refusal | grpc.StatusCode):
            await fail(context, step)
        return step

    async def OpenAccount(
        self, request: commands_pb2.OpenAccountRequest, context: Context
    ) -> commands_pb2.OpenAccountResponse:
        await self._take_step(context, "OpenAccount", request.request_id)
        return commands_pb2.OpenAccountResponse(account_id=account(1).account_id, version=1)

    async def DepositFunds(
        self, request: commands_pb2.DepositFundsRequest, context: Context
    ) -> commands_pb2.DepositFundsResponse:
        await self._take_step(context, "DepositFunds", request.request_id, request=request)
        return commands_pb2.DepositFundsResponse(account_id=request.account_id, version=2)

    async def WithdrawFunds(
        self, request: commands_pb2.WithdrawFundsRequest, context: Context
    ) -> commands_pb2.WithdrawFundsResponse:
        await self._take_step(context, "WithdrawFunds", request.request_id, request=request)
        return commands_pb2.WithdrawFundsResponse(account_id=request.account_id, version=3)

    async def CloseAccount(
        self, request: commands_pb2.CloseAccountRequest, context: Context
    ) -> commands_pb2.CloseAccountResponse:
        await self._take_step(context, "CloseAccount", request.request_id)
        return commands_pb2.CloseAccountResponse(account_id=request.account_id, version=4)

    async def TransferFunds(
        self, request: transfers_pb2.TransferFundsRequest, context: Context
    ) -> transfers_pb2.TransferFundsResponse:
        await self._take_step(context, "TransferFunds", request.request_id, request=request)
        transfer_id = self.transfer_requests.get(request.request_id)
        if transfer_id is None:
            number = len(self.transfers) + 1
            transfer = transfer_of(request, self.accounts, number, pending=self.transfers_pending)
            transfer_id = self.transfer_requests[request.request_id] = transfer.transfer_id
            self.transfers[transfer_id] = transfer
        return transfers_pb2.TransferFundsResponse(transfer=self.transfers[transfer_id])

    async def GetTransfer(
        self, request: transfers_pb2.GetTransferRequest, context: Context
    ) -> transfers_pb2.GetTransferResponse:
        await self._take_step(context, "GetTransfer", request=request)
        if request.transfer_id not in self.transfers:
            await fail(context, Refusal(grpc.StatusCode.NOT_FOUND, "TRANSFER_NOT_FOUND"))
        return transfers_pb2.GetTransferResponse(transfer=self.transfers[request.transfer_id])

    async def GetBalanceAsOf(
        self, request: history_pb2.GetBalanceAsOfRequest, context: Context
    ) -> history_pb2.GetBalanceAsOfResponse:
        """The account as it is now, for any moment since it was opened; NOT_FOUND before."""
        await self._take_step(context, "GetBalanceAsOf", request=request)
        found = [a for a in self.accounts if a.account_id == request.account_id]
        if not found or request.as_of.ToDatetime() < found[0].opened_at.ToDatetime():
            await fail(context, Refusal(grpc.StatusCode.NOT_FOUND, "ACCOUNT_NOT_FOUND"))
        return history_pb2.GetBalanceAsOfResponse(
            account_id=found[0].account_id,
            balance_cents=found[0].balance_cents,
            version=found[0].version,
            status=found[0].status,
        )

    async def FindAccountById(
        self, request: queries_pb2.FindAccountByIdRequest, context: Context
    ) -> queries_pb2.FindAccountByIdResponse:
        await self._take_step(context, "FindAccountById")
        found = [a for a in self.accounts if a.account_id == request.account_id]
        if not found:
            await fail(context, Refusal(grpc.StatusCode.NOT_FOUND, "ACCOUNT_NOT_FOUND"))
        return queries_pb2.FindAccountByIdResponse(account=found[0])

    async def FindAccountsByHolder(
        self, request: queries_pb2.FindAccountsByHolderRequest, context: Context
    ) -> queries_pb2.FindAccountsByHolderResponse:
        await self._take_step(context, "FindAccountsByHolder", page_token=request.page_token)
        theirs = [a for a in self.accounts if a.holder == request.holder]
        accounts, token = page_of(theirs, request.page_size, request.page_token)
        return queries_pb2.FindAccountsByHolderResponse(accounts=accounts, next_page_token=token)

    async def FindAccountsWithBalance(
        self, request: queries_pb2.FindAccountsWithBalanceRequest, context: Context
    ) -> queries_pb2.FindAccountsWithBalanceResponse:
        await self._take_step(context, "FindAccountsWithBalance", page_token=request.page_token)
        above = request.equality_type == queries_pb2.EQUALITY_TYPE_GREATER_THAN
        matching = [
            a
            for a in self.accounts
            if (a.balance_cents > request.balance_cents) == above
            and a.balance_cents != request.balance_cents
        ]
        accounts, token = page_of(matching, request.page_size, request.page_token)
        return queries_pb2.FindAccountsWithBalanceResponse(accounts=accounts, next_page_token=token)

    async def GetAccountStatement(
        self, request: queries_pb2.GetAccountStatementRequest, context: Context
    ) -> AsyncIterator[queries_pb2.GetAccountStatementResponse]:
        """The account's movements after the page token (a version), in pages; broken
        after the pages a BreakAfter step says, like FindAllAccounts."""
        step = await self._take_step(context, "GetAccountStatement", page_token=request.page_token)
        pages_left = step.pages if isinstance(step, BreakAfter) else None
        lines = self.movements.get(request.account_id)
        if lines is None:
            await fail(context, Refusal(grpc.StatusCode.NOT_FOUND, "ACCOUNT_NOT_FOUND"))
            return
        after = int(request.page_token or 0)
        pending = [m for m in lines if m.version > after]
        size = request.page_size or 100
        while pending:
            if pages_left == 0:
                await fail(context, grpc.StatusCode.UNAVAILABLE)
            page, pending = pending[:size], pending[size:]
            token = str(page[-1].version) if pending else ""
            yield queries_pb2.GetAccountStatementResponse(movements=page, next_page_token=token)
            pages_left = None if pages_left is None else pages_left - 1

    async def FindAllAccounts(
        self, request: queries_pb2.FindAllAccountsRequest, context: Context
    ) -> AsyncIterator[queries_pb2.FindAllAccountsResponse]:
        step = await self._take_step(context, "FindAllAccounts", page_token=request.page_token)
        pages_left = step.pages if isinstance(step, BreakAfter) else None
        token = request.page_token
        while True:
            if pages_left == 0:
                await fail(context, grpc.StatusCode.UNAVAILABLE)
            accounts, token = page_of(self.accounts, request.page_size, token)
            yield queries_pb2.FindAllAccountsResponse(accounts=accounts, next_page_token=token)
            pages_left = None if pages_left is None else pages_left - 1
            if not token:
                return


@asynccontextmanager
async def serving(
    fake: FakeTechbank, credentials: grpc.ServerCredentials | None = None
) -> AsyncIterator[str]:
    """`fake` serving every service on a free loopback port; its address."""
    server = grpc.aio.server()
    commands_pb2_grpc.add_AccountCommandServiceServicer_to_server(fake, server)
    transfers_pb2_grpc.add_TransferServiceServicer_to_server(fake, server)
    history_pb2_grpc.add_AccountHistoryServiceServicer_to_server(fake, server)
    queries_pb2_grpc.add_AccountQueryServiceServicer_to_server(fake, server)
    if credentials is None:
        port = server.add_insecure_port("127.0.0.1:0")
    else:
        port = server.add_secure_port("127.0.0.1:0", credentials)
    await server.start()
    try:
        yield f"127.0.0.1:{port}"
    finally:
        await server.stop(None)
