"""The command server's servicers over gRPC (AccountCommandService, TransferService,
AccountHistoryService): decode, dispatch, encode."""

from datetime import UTC, datetime

from adapters.grpc.auth import current_caller
from adapters.grpc.edge import rpc_method
from adapters.grpc.errors import Context
from adapters.telemetry import tracing as logs
from bank.account import BankAccount, account_id_of, uuid_of
from bank.transfer import Transfer, TransferStatus
from command_server import translation
from command_server.handlers import GetBalanceAsOf, GetTransfer
from core.dispatcher import Dispatcher
from core.errors import Checks, DomainError, InvalidInput
from techbank.account.v1 import (
    account_pb2,
    history_pb2,
    history_pb2_grpc,
    transfers_pb2,
    transfers_pb2_grpc,
)

WIRE_STATUSES = {
    TransferStatus.PENDING: transfers_pb2.TRANSFER_STATUS_PENDING,
    TransferStatus.COMPLETED: transfers_pb2.TRANSFER_STATUS_COMPLETED,
    TransferStatus.REFUSED: transfers_pb2.TRANSFER_STATUS_REFUSED,
}


class TransferServicer(transfers_pb2_grpc.TransferServiceServicer):
    def __init__(self, dispatcher: Dispatcher[Transfer]) -> None:
        self._dispatcher = dispatcher

    @rpc_method
    async def TransferFunds(
        self, request: transfers_pb2.TransferFundsRequest, context: Context
    ) -> transfers_pb2.TransferFundsResponse:
        logged_as = logs.request_id.set(request.request_id)
        try:
            command = translation.transfer_funds(request, current_caller().name)
            transfer = await self._dispatcher.send(command)
        except DomainError as error:
            error.metadata = {"requestId": request.request_id} | error.metadata
            raise
        finally:
            logs.request_id.reset(logged_as)
        return transfers_pb2.TransferFundsResponse(transfer=transfer_message(transfer))

    @rpc_method
    async def GetTransfer(
        self, request: transfers_pb2.GetTransferRequest, context: Context
    ) -> transfers_pb2.GetTransferResponse:
        transfer_id = uuid_of(request.transfer_id, "transfer_id")
        try:
            transfer = await self._dispatcher.send(GetTransfer(transfer_id))
        except DomainError as error:
            error.metadata = {"transferId": transfer_id} | error.metadata
            raise
        return transfers_pb2.GetTransferResponse(transfer=transfer_message(transfer))


class AccountHistoryServicer(history_pb2_grpc.AccountHistoryServiceServicer):
    def __init__(self, dispatcher: Dispatcher[BankAccount]) -> None:
        self._dispatcher = dispatcher

    @rpc_method
    async def GetBalanceAsOf(
        self, request: history_pb2.GetBalanceAsOfRequest, context: Context
    ) -> history_pb2.GetBalanceAsOfResponse:
        try:
            account = await self._dispatcher.send(balance_as_of(request))
        except DomainError as error:
            error.metadata = {"accountId": request.account_id} | error.metadata
            raise
        status = (
            account_pb2.ACCOUNT_STATUS_OPEN
            if account.is_open
            else account_pb2.ACCOUNT_STATUS_CLOSED
        )
        return history_pb2.GetBalanceAsOfResponse(
            account_id=account.id,
            balance_cents=account.balance_cents,
            version=account.version,
            status=status,
        )


def balance_as_of(request: history_pb2.GetBalanceAsOfRequest) -> GetBalanceAsOf:
    check = Checks()
    account_id = check(lambda: account_id_of(request.account_id), "")
    as_of = check(lambda: _moment_of(request), None)
    check.done()
    assert as_of is not None
    return GetBalanceAsOf(account_id, as_of)


def _moment_of(request: history_pb2.GetBalanceAsOfRequest) -> datetime:
    if not request.HasField("as_of"):
        raise InvalidInput("as_of is required", field="as_of")
    try:
        return request.as_of.ToDatetime(tzinfo=UTC)
    except (ValueError, OverflowError):
        raise InvalidInput("as_of must be a valid timestamp", field="as_of") from None


def transfer_message(transfer: Transfer) -> transfers_pb2.Transfer:
    refusal = transfer.refusal
    return transfers_pb2.Transfer(
        transfer_id=transfer.id,
        source_account_id=transfer.source_account_id,
        target_account_id=transfer.target_account_id,
        amount_cents=transfer.amount_cents,
        reference=transfer.reference,
        status=WIRE_STATUSES[transfer.status],
        refusal_reason=refusal.reason if refusal else "",
        refusal_message=refusal.message if refusal else "",
        refunded=refusal.refunded if refusal else False,
        version=transfer.version,
    )
