"""The client's edge: protobuf messages to and from the plain values of models.py."""

from datetime import UTC, datetime

from google.protobuf.timestamp_pb2 import Timestamp

from techbank.account.v1 import account_pb2, history_pb2, queries_pb2, transfers_pb2
from techbank_client.models import (
    Account,
    AccountStatus,
    AccountType,
    BalanceAsOf,
    Comparison,
    Movement,
    MovementKind,
    Transfer,
    TransferStatus,
)

WIRE_TYPES = {
    AccountType.SAVINGS: account_pb2.ACCOUNT_TYPE_SAVINGS,
    AccountType.CURRENT: account_pb2.ACCOUNT_TYPE_CURRENT,
}
TYPES = {wire: kind for kind, wire in WIRE_TYPES.items()}
STATUSES = {
    account_pb2.ACCOUNT_STATUS_OPEN: AccountStatus.OPEN,
    account_pb2.ACCOUNT_STATUS_CLOSED: AccountStatus.CLOSED,
}
MOVEMENT_KINDS = {
    queries_pb2.MOVEMENT_KIND_OPENED: MovementKind.OPENED,
    queries_pb2.MOVEMENT_KIND_DEPOSIT: MovementKind.DEPOSIT,
    queries_pb2.MOVEMENT_KIND_WITHDRAWAL: MovementKind.WITHDRAWAL,
    queries_pb2.MOVEMENT_KIND_TRANSFER_IN: MovementKind.TRANSFER_IN,
    queries_pb2.MOVEMENT_KIND_TRANSFER_OUT: MovementKind.TRANSFER_OUT,
    queries_pb2.MOVEMENT_KIND_CLOSED: MovementKind.CLOSED,
}
TRANSFER_STATUSES = {
    transfers_pb2.TRANSFER_STATUS_PENDING: TransferStatus.PENDING,
    transfers_pb2.TRANSFER_STATUS_COMPLETED: TransferStatus.COMPLETED,
    transfers_pb2.TRANSFER_STATUS_REFUSED: TransferStatus.REFUSED,
}
WIRE_COMPARISONS = {
    Comparison.GREATER_THAN: queries_pb2.EQUALITY_TYPE_GREATER_THAN,
    Comparison.LESS_THAN: queries_pb2.EQUALITY_TYPE_LESS_THAN,
}


def account_type_to_wire(kind: AccountType) -> account_pb2.AccountType.ValueType:
    """The wire value; UNKNOWN goes as UNSPECIFIED, which the server refuses."""
    return WIRE_TYPES.get(kind, account_pb2.ACCOUNT_TYPE_UNSPECIFIED)


def comparison_to_wire(comparison: Comparison) -> queries_pb2.EqualityType.ValueType:
    return WIRE_COMPARISONS[comparison]


def account_from_wire(message: account_pb2.Account) -> Account:
    return Account(
        account_id=message.account_id,
        holder=message.holder,
        account_type=TYPES.get(message.account_type, AccountType.UNKNOWN),
        balance_cents=message.balance_cents,
        status=STATUSES.get(message.status, AccountStatus.UNKNOWN),
        opened_at=message.opened_at.ToDatetime(tzinfo=UTC),
        version=message.version,
    )


def movement_from_wire(message: queries_pb2.Movement) -> Movement:
    return Movement(
        version=message.version,
        kind=MOVEMENT_KINDS.get(message.kind, MovementKind.UNKNOWN),
        amount_cents=message.amount_cents,
        balance_cents=message.balance_cents,
        occurred_at=message.occurred_at.ToDatetime(tzinfo=UTC),
        reference=message.reference,
        transfer_id=message.transfer_id,
    )


def moment_to_wire(moment: datetime) -> Timestamp:
    """The moment as a Timestamp; a naive datetime is refused, never guessed to be UTC
    (nor local time): a balance at the wrong hour would look right."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"the moment needs a timezone: {moment.isoformat()}")
    stamp = Timestamp()
    stamp.FromDatetime(moment.astimezone(UTC))
    return stamp


def transfer_from_wire(message: transfers_pb2.Transfer) -> Transfer:
    return Transfer(
        transfer_id=message.transfer_id,
        source_account_id=message.source_account_id,
        target_account_id=message.target_account_id,
        amount_cents=message.amount_cents,
        reference=message.reference,
        status=TRANSFER_STATUSES.get(message.status, TransferStatus.UNKNOWN),
        refusal_reason=message.refusal_reason,
        refusal_message=message.refusal_message,
        refunded=message.refunded,
        version=message.version,
    )


def balance_as_of_from_wire(
    message: history_pb2.GetBalanceAsOfResponse, as_of: datetime
) -> BalanceAsOf:
    return BalanceAsOf(
        account_id=message.account_id,
        as_of=as_of.astimezone(UTC),
        balance_cents=message.balance_cents,
        status=STATUSES.get(message.status, AccountStatus.UNKNOWN),
        version=message.version,
    )
