"""A transfer between two accounts: a process of its own, not a transaction over both.

Each account stays its own aggregate, changed one at a time; the Transfer records how
far the process has gone (command_server.transfers drives it): requested, then the
source debited, then the target credited, or the transfer refused (before the debit,
or after it, once the money is back on the source). Between the debit and its credit
or refund the transfer's money is in flight, in no account.
"""

from enum import Enum

from bank.account import account_id_of, amount_of, reference_of
from bank.events import (
    TransferCompleted,
    TransferDebited,
    TransferRefused,
    TransferRequested,
)
from core.aggregate import AggregateRoot
from core.errors import Checks, InvalidInput
from core.events import DomainEvent

SAME_ACCOUNT = "SAME_ACCOUNT"


class TransferStatus(Enum):
    PENDING = "PENDING"
    COMPLETED = "COMPLETED"
    REFUSED = "REFUSED"


class Transfer(AggregateRoot):
    AGGREGATE_TYPE = "Transfer"

    def __init__(self, transfer_id: str) -> None:
        super().__init__(transfer_id)
        self.source_account_id = ""
        self.target_account_id = ""
        self.amount_cents = 0
        self.reference = ""
        self.status = TransferStatus.PENDING
        self.debited = False
        self.refusal: TransferRefused | None = None

    @classmethod
    def request(
        cls, transfer_id: str, source: str, target: str, amount_cents: int, reference: str
    ) -> "Transfer":
        """A new transfer; InvalidInput naming every field that is wrong."""
        transfer = cls(transfer_id)
        transfer._raise(checked_request(source, target, amount_cents, reference))
        return transfer

    @property
    def ended(self) -> bool:
        return self.status is not TransferStatus.PENDING

    def mark_debited(self) -> None:
        self._expect(pending=True, debited=False)
        self._raise(TransferDebited())

    def complete(self) -> None:
        self._expect(pending=True, debited=True)
        self._raise(TransferCompleted())

    def refuse(self, reason: str, message: str) -> None:
        """End the transfer refused: before its debit, or after its refund."""
        self._expect(pending=True, debited=self.debited)
        self._raise(TransferRefused(reason, message, refunded=self.debited))

    def _expect(self, *, pending: bool, debited: bool) -> None:
        if self.ended == pending or self.debited != debited:
            state = f"{self.status.value}, {'debited' if self.debited else 'not debited'}"
            raise ValueError(f"transfer {self.id} cannot take that step: it is {state}")

    def _apply(self, event: DomainEvent) -> None:
        match event:
            case TransferRequested():
                self.source_account_id = event.source_account_id
                self.target_account_id = event.target_account_id
                self.amount_cents, self.reference = event.amount_cents, event.reference
            case TransferDebited():
                self.debited = True
            case TransferCompleted():
                self.status = TransferStatus.COMPLETED
            case TransferRefused():
                self.status, self.refusal = TransferStatus.REFUSED, event
            case _:
                raise TypeError(f"Transfer cannot apply {type(event).__name__}")


def checked_request(
    source: str, target: str, amount_cents: int, reference: str
) -> TransferRequested:
    """A transfer's request as stored; InvalidInput naming every field that is wrong."""
    check = Checks()
    source = check(lambda: account_id_of(source, "source_account_id"), source)
    target = check(lambda: account_id_of(target, "target_account_id"), target)
    amount_cents = check(lambda: amount_of(amount_cents), amount_cents)
    reference = check(lambda: reference_of(reference), reference)
    check(lambda: _different(source, target), None)
    check.done()
    return TransferRequested(source, target, amount_cents, reference)


def _different(source: str, target: str) -> None:
    if source == target:
        message = "target_account_id must differ from source_account_id"
        raise InvalidInput(message, field="target_account_id", reason=SAME_ACCOUNT)
