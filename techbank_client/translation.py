"""The client's edge: protobuf messages to and from the plain values of models.py."""

from datetime import UTC

from techbank.account.v1 import account_pb2, queries_pb2
from techbank_client.models import (
    Account,
    AccountStatus,
    AccountType,
    Comparison,
    Movement,
    MovementKind,
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
