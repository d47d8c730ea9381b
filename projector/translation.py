"""The projector's edge: account events, as stored protobuf, to the account's read-model row.

A row holds the account's columns, which queries filter and sort on, and `wire`: the
account as the query API answers it, an Account message already framed as field 1
(adapters.protobuf_framing): one element of the `accounts` field of every paged answer,
and the whole of a FindAccountByIdResponse, so that the query side answers by
concatenating bytes instead of building messages.
"""

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp

from adapters.protobuf_framing import element
from bank.domain.events import AccountType
from bank.wire import ACCOUNT_TYPES, WIRE_ACCOUNT_TYPES
from core.events import StoredEvent
from techbank.account.v1 import account_pb2, events_pb2, queries_pb2

Row = dict[str, Any]
ACCOUNTS_FIELD = queries_pb2.FindAllAccountsResponse.DESCRIPTOR.fields_by_name["accounts"]
# Every answer the framed account is part of puts its account(s) in that same field number.
ANSWERS_FRAMED_ALIKE = (
    queries_pb2.FindAccountsByHolderResponse.DESCRIPTOR.fields_by_name["accounts"],
    queries_pb2.FindAccountsWithBalanceResponse.DESCRIPTOR.fields_by_name["accounts"],
    queries_pb2.FindAccountByIdResponse.DESCRIPTOR.fields_by_name["account"],
)
assert all(field.number == ACCOUNTS_FIELD.number for field in ANSWERS_FRAMED_ALIKE)
WIRE_STATUSES = {
    "OPEN": account_pb2.ACCOUNT_STATUS_OPEN,
    "CLOSED": account_pb2.ACCOUNT_STATUS_CLOSED,
}


def rows_after(row: Row | None, events: Iterable[StoredEvent]) -> Row | None:
    """The account's row after `events` (in version order), given its row before them
    (None before it was opened); its `wire` is rendered once, for the last."""
    after = row
    for event in events:
        after = next_columns(after, event)
    if after is not None and after is not row:
        after["wire"] = wire_of(after)
    return after


def next_columns(row: Row | None, event: StoredEvent) -> Row:
    """The account's columns after `event` (all but `wire`), given its row before."""
    if event.event_type == "AccountOpened":
        opened = events_pb2.AccountOpened.FromString(event.payload)
        after = {
            "account_id": event.aggregate_id,
            "holder": opened.holder,
            "account_type": ACCOUNT_TYPES[opened.account_type].value,
            "balance_cents": opened.opening_balance_cents,
            "status": "OPEN",
            "opened_at": event.occurred_at,
        }
    elif row is None:
        raise ValueError(f"{event.aggregate_id} has {event.event_type} before it was opened")
    else:
        after = dict(row) | _change(row, event)
    after["version"] = event.version
    return after


def _change(row: Row, event: StoredEvent) -> Row:
    match event.event_type:
        case "FundsDeposited":
            deposited = events_pb2.FundsDeposited.FromString(event.payload)
            return {"balance_cents": row["balance_cents"] + deposited.amount_cents}
        case "FundsWithdrawn":
            withdrawn = events_pb2.FundsWithdrawn.FromString(event.payload)
            return {"balance_cents": row["balance_cents"] - withdrawn.amount_cents}
        case "AccountClosed":
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
