"""The history call of TechbankClient (AccountHistoryService, on the command server): an
account's past, replayed from the event store; a read, retried only on UNAVAILABLE."""

from datetime import datetime
from typing import TYPE_CHECKING

from techbank.account.v1 import history_pb2
from techbank_client.models import BalanceAsOf
from techbank_client.retry import QUERY_RETRIES, RetryPolicy, with_retries
from techbank_client.translation import balance_as_of_from_wire, moment_to_wire

if TYPE_CHECKING:
    from techbank.account.v1.history_pb2_grpc import AccountHistoryServiceAsyncStub


class HistoryCalls:
    _history: "AccountHistoryServiceAsyncStub"
    deadline: float
    retry: RetryPolicy

    async def balance_as_of(
        self, account_id: str, moment: datetime, *, deadline: float | None = None
    ) -> BalanceAsOf:
        """The account's balance, version and status after every event at or before
        `moment`, an aware datetime (a naive one raises ValueError, before any call).
        NOT_FOUND if the account did not exist yet then."""
        request = history_pb2.GetBalanceAsOfRequest(
            account_id=account_id, as_of=moment_to_wire(moment)
        )
        seconds = deadline or self.deadline
        reply = await with_retries(
            lambda: self._history.GetBalanceAsOf(request, timeout=seconds),
            QUERY_RETRIES,
            self.retry,
        )
        return balance_as_of_from_wire(reply, moment)
