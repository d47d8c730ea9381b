"""The projector's edge: account events, as published protobuf, to changes of an account row."""

from dataclasses import dataclass
from typing import Any

from core.events import StoredEvent
from techbank.account.v1 import account_pb2, events_pb2

ACCOUNT_TYPE_NAMES = {
    account_pb2.ACCOUNT_TYPE_SAVINGS: "SAVINGS",
    account_pb2.ACCOUNT_TYPE_CURRENT: "CURRENT",
}


@dataclass(frozen=True)
class NewRow:
    """The row of a newly opened account."""

    values: dict[str, Any]


@dataclass(frozen=True)
class RowChange:
    """How an event changes an existing row: a balance delta and/or a new status."""

    balance_delta: int = 0
    status: str | None = None


def change_of(event: StoredEvent) -> NewRow | RowChange:
    """Decode one account event into the change it makes to the read model."""
    match event.event_type:
        case "AccountOpened":
            opened = events_pb2.AccountOpened.FromString(event.payload)
            return NewRow(
                {
                    "account_id": event.aggregate_id,
                    "holder": opened.holder,
                    "account_type": ACCOUNT_TYPE_NAMES[opened.account_type],
                    "balance_cents": opened.opening_balance_cents,
                    "status": "OPEN",
                    "opened_at": event.occurred_at,
                    "version": event.version,
                }
            )
        case "FundsDeposited":
            deposited = events_pb2.FundsDeposited.FromString(event.payload)
            return RowChange(balance_delta=deposited.amount_cents)
        case "FundsWithdrawn":
            withdrawn = events_pb2.FundsWithdrawn.FromString(event.payload)
            return RowChange(balance_delta=-withdrawn.amount_cents)
        case "AccountClosed":
            return RowChange(status="CLOSED")
    raise ValueError(f"unknown account event type {event.event_type!r}")
