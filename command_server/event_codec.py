"""Account events to and from the protobuf messages of events.proto, for the event store."""

from bank.domain.events import (
    AccountClosed,
    AccountOpened,
    FundsDeposited,
    FundsWithdrawn,
)
from bank.wire import ACCOUNT_TYPES, WIRE_ACCOUNT_TYPES
from core.events import DomainEvent
from techbank.account.v1 import events_pb2

EventMessage = (
    events_pb2.AccountOpened
    | events_pb2.FundsDeposited
    | events_pb2.FundsWithdrawn
    | events_pb2.AccountClosed
)


class ProtobufEventCodec:
    """Serializes account events as the protobuf messages of events.proto."""

    def encode(self, event: DomainEvent) -> tuple[str, bytes]:
        message = _to_message(event)
        return type(event).__name__, message.SerializeToString(deterministic=True)

    def decode(self, event_type: str, payload: bytes) -> DomainEvent:
        match event_type:
            case "AccountOpened":
                opened = events_pb2.AccountOpened.FromString(payload)
                return AccountOpened(
                    opened.holder,
                    ACCOUNT_TYPES[opened.account_type],
                    opened.opening_balance_cents,
                )
            case "FundsDeposited":
                return FundsDeposited(events_pb2.FundsDeposited.FromString(payload).amount_cents)
            case "FundsWithdrawn":
                return FundsWithdrawn(events_pb2.FundsWithdrawn.FromString(payload).amount_cents)
            case "AccountClosed":
                return AccountClosed()
        raise ValueError(f"unknown account event type {event_type!r}")


def _to_message(event: DomainEvent) -> EventMessage:
    match event:
        case AccountOpened():
            return events_pb2.AccountOpened(
                holder=event.holder,
                account_type=WIRE_ACCOUNT_TYPES[event.account_type],
                opening_balance_cents=event.opening_balance_cents,
            )
        case FundsDeposited():
            return events_pb2.FundsDeposited(amount_cents=event.amount_cents)
        case FundsWithdrawn():
            return events_pb2.FundsWithdrawn(amount_cents=event.amount_cents)
        case AccountClosed():
            return events_pb2.AccountClosed()
    raise TypeError(f"not an account event: {type(event).__name__}")
