"""The transfer calls of TechbankClient (TransferService, on the command server).

A transfer is a command: it carries a request id, made once and kept on every try, so it
is retried like a deposit (the server answers a repeated request id with the same
transfer). Reading one back is a query, retried only on UNAVAILABLE.
"""

from typing import TYPE_CHECKING

from techbank.account.v1 import transfers_pb2
from techbank_client.command_calls import new_request_id, routing_metadata
from techbank_client.models import Transfer
from techbank_client.retry import COMMAND_RETRIES, QUERY_RETRIES, RetryPolicy, with_retries
from techbank_client.translation import transfer_from_wire

if TYPE_CHECKING:
    from techbank.account.v1.transfers_pb2_grpc import TransferServiceAsyncStub


class TransferCalls:
    """`deadline`: the seconds each try may take (the client's default when None)."""

    _transfers: "TransferServiceAsyncStub"
    deadline: float
    retry: RetryPolicy

    async def transfer(
        self,
        source_account_id: str,
        target_account_id: str,
        amount_cents: int,
        reference: str = "",
        request_id: str | None = None,
        *,
        deadline: float | None = None,
    ) -> Transfer:
        """The transfer once it has ended, COMPLETED or REFUSED (a refusal is an answer,
        not an error); PENDING if the deadline came first: it goes on, and get_transfer
        tells how it ended. Bad input (the same account twice, say) raises INVALID_ARGUMENT."""
        request = transfers_pb2.TransferFundsRequest(
            source_account_id=source_account_id,
            target_account_id=target_account_id,
            amount_cents=amount_cents,
            reference=reference,
            request_id=request_id or new_request_id(),
        )
        seconds = deadline or self.deadline
        routing = routing_metadata(source_account_id)  # its first step debits the source
        reply = await with_retries(
            lambda: self._transfers.TransferFunds(request, timeout=seconds, metadata=routing),
            COMMAND_RETRIES,
            self.retry,
        )
        return transfer_from_wire(reply.transfer)

    async def get_transfer(self, transfer_id: str, *, deadline: float | None = None) -> Transfer:
        """The transfer as the event store has it now (NOT_FOUND if there is none)."""
        request = transfers_pb2.GetTransferRequest(transfer_id=transfer_id)
        seconds = deadline or self.deadline
        reply = await with_retries(
            lambda: self._transfers.GetTransfer(request, timeout=seconds),
            QUERY_RETRIES,
            self.retry,
        )
        return transfer_from_wire(reply.transfer)
