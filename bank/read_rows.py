"""An account's read-model row and movements, made from its events: each stored event is
decoded once into the domain's event (bank.wire), which says what changed.

A row holds the account's columns, which queries filter and sort on, and `wire`: the
account as the query API answers it, an Account message already framed as field 1
(bank.wire): one element of the `accounts` field of every paged answer,
and the whole of a FindAccountByIdResponse, so that the query side answers by
concatenating bytes instead of building messages.
"""

from collections.abc import Iterable
from datetime import datetime
from typing import Any, NamedTuple

from google.protobuf.timestamp_pb2 import Timestamp

from bank.events import AccountClosed, AccountOpened, AccountType, FundsDeposited, FundsWithdrawn
from bank.wire import WIRE_ACCOUNT_TYPES, ProtobufEventCodec, element
from core.events import DomainEvent, StoredEvent
from techbank.account.v1 import account_pb2, queries_pb2

Row = dict[str, Any]
ACCOUNTS_FIELD = queries_pb2.FindAllAccountsResponse.DESCRIPTOR.fields_by_name["accounts"]
# Every answer the framed account is part of puts its account(s) in that same field number.
ANSWERS_FRAMED_ALIKE = (
    queries_pb2.FindAccountsByHolderResponse.DESCRIPTOR.fields_by_name["accounts"],
    queries_pb2.FindAccountsWithBalanceResponse.DESCRIPTOR.fields_by_name["accounts"],
    queries_pb2.FindAccountByIdResponse.DESCRIPTOR.fields_by_name["account"],
)
assert all(field.number == ACCOUNTS_FIELD.number for field in ANSWERS_FRAMED_ALIKE)
MOVEMENTS_FIELD = queries_pb2.GetAccountStatementResponse.DESCRIPTOR.fields_by_name["movements"]
assert MOVEMENTS_FIELD.number == ACCOUNTS_FIELD.number  # wire.page frames both alike
ACCOUNT_EVENTS = "BankAccount"  # the aggregate type the read model is about
CODEC = ProtobufEventCodec()
WIRE_STATUSES = {
    "OPEN": account_pb2.ACCOUNT_STATUS_OPEN,
    "CLOSED": account_pb2.ACCOUNT_STATUS_CLOSED,
}


class Projected(NamedTuple):
    """An account's row after some events (None: never opened), and the movements of
    those events, one per event, with the balance after each."""

    row: Row | None
    movements: list[Row]


def account_events(events: Iterable[StoredEvent]) -> list[StoredEvent]:
    """The events the read model is made of: accounts', not transfers' (those reach the
    accounts as their debits and credits)."""
    return [event for event in events if event.aggregate_type == ACCOUNT_EVENTS]


def projected(row: Row | None, events: Iterable[StoredEvent]) -> Projected:
    """The account's row and movements after `events` (in version order), given its row
    before them (None before it was opened); its `wire` is rendered once, for the last."""
    after, moved = row, []
    for event in events:
        happened = CODEC.decode(event.event_type, event.payload)
        before_balance = after["balance_cents"] if after is not None else 0
        after = next_columns(after, event, happened)
        change = after["balance_cents"] - before_balance
        moved.append(movement(event, happened, after, change))
    if after is not None and after is not row:
        after["wire"] = wire_of(after)
    return Projected(after, moved)


def rows_after(row: Row | None, events: Iterable[StoredEvent]) -> Row | None:
    """The account's row after `events`: `projected` without the movements."""
    return projected(row, events).row


def movement(event: StoredEvent, happened: DomainEvent, after: Row, change: int) -> Row:
    """The statement's line for `event` (`happened`, decoded), which left the account as
    `after`."""
    reference, transfer_id = _movement_text(happened)
    kind = _kind(happened, transfer_id)
    line = {
        "account_id": event.aggregate_id,
        "version": event.version,
        "kind": kind,
        "amount_cents": change,
        "balance_cents": after["balance_cents"],
        "occurred_at": event.occurred_at,
        "reference": reference,
        "transfer_id": transfer_id,
    }
    line["wire"] = movement_wire_of(line)
    return line


def _movement_text(happened: DomainEvent) -> tuple[str, str]:
    if isinstance(happened, FundsDeposited | FundsWithdrawn):
        return happened.reference, happened.transfer_id
    return "", ""


def _kind(happened: DomainEvent, transfer_id: str) -> str:
    match happened:
        case AccountOpened():
            return "OPENED"
        case FundsDeposited():
            return "TRANSFER_IN" if transfer_id else "DEPOSIT"
        case FundsWithdrawn():
            return "TRANSFER_OUT" if transfer_id else "WITHDRAWAL"
    return "CLOSED"


def movement_wire_of(line: Row) -> bytes:
    """The line as the statement's Movement message, framed as a `movements` element."""
    message = queries_pb2.Movement(
        version=line["version"],
        kind=queries_pb2.MovementKind.Value(f"MOVEMENT_KIND_{line['kind']}"),
        amount_cents=line["amount_cents"],
        balance_cents=line["balance_cents"],
        occurred_at=_timestamp(line["occurred_at"]),
        reference=line["reference"],
        transfer_id=line["transfer_id"],
    )
    return element(MOVEMENTS_FIELD, message.SerializeToString(deterministic=True))


def next_columns(row: Row | None, event: StoredEvent, happened: DomainEvent) -> Row:
    """The account's columns after `event` (all but `wire`), given its row before."""
    if isinstance(happened, AccountOpened):
        after = {
            "account_id": event.aggregate_id,
            "holder": happened.holder,
            "account_type": happened.account_type.value,
            "balance_cents": happened.opening_balance_cents,
            "status": "OPEN",
            "opened_at": event.occurred_at,
        }
    elif row is None:
        raise ValueError(f"{event.aggregate_id} has {event.event_type} before it was opened")
    else:
        after = dict(row) | _change(row, event, happened)
    after["version"] = event.version
    return after


def _change(row: Row, event: StoredEvent, happened: DomainEvent) -> Row:
    match happened:
        case FundsDeposited(amount_cents=amount):
            return {"balance_cents": row["balance_cents"] + amount}
        case FundsWithdrawn(amount_cents=amount):
            return {"balance_cents": row["balance_cents"] - amount}
        case AccountClosed():
            return {"status": "CLOSED"}
    raise ValueError(f"unknown account event type {event.event_type!r}")


def wire_of(row: Row) -> bytes:
    """The row as the query API's Account message, framed as an `accounts` element."""
    account = account_pb2.Account(
        account_id=row["account_id"],
        holder=row["holder"],
        account_type=WIRE_ACCOUNT_TYPES[AccountType(row["account_type"])],
        balance_cents=row["balance_cents"],
        status=WIRE_STATUSES[row["status"]],
        opened_at=_timestamp(row["opened_at"]),
        version=row["version"],
    )
    return element(ACCOUNTS_FIELD, account.SerializeToString(deterministic=True))


def _timestamp(moment: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(moment)
    return stamp


def fold(events: Iterable[StoredEvent]) -> Projected:
    """The row and movements after all `events` (in version order); no row and no
    movement for an empty stream, or one that is not an account's."""
    return projected(None, account_events(events))
