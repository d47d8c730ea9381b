"""The bank's events to and from the protobuf messages of events.proto, for the event store.

One codec for both aggregates' events (BankAccount's and Transfer's). Each type is
written at its current schema version (bank.evolution); decoding expects that version,
which the store's readers see every event in (core.upcasting).
"""

from collections.abc import Callable
from typing import Any

from google.protobuf.message import Message

from bank.domain.events import (
    AccountClosed,
    AccountOpened,
    FundsDeposited,
    FundsWithdrawn,
    TransferCompleted,
    TransferDebited,
    TransferRefused,
    TransferRequested,
)
from bank.evolution import UPCASTER
from bank.wire import ACCOUNT_TYPES, WIRE_ACCOUNT_TYPES
from core.events import DomainEvent
from techbank.account.v1 import events_pb2 as pb


def _opened(m: pb.AccountOpened) -> DomainEvent:
    return AccountOpened(m.holder, ACCOUNT_TYPES[m.account_type], m.opening_balance_cents)


def _requested(m: pb.TransferRequested) -> DomainEvent:
    return TransferRequested(m.source_account_id, m.target_account_id, m.amount_cents, m.reference)


# Each event's message type, and how a parsed message becomes the event.
DECODERS: dict[str, tuple[type[Message], Callable[..., DomainEvent]]] = {
    "AccountOpened": (pb.AccountOpened, _opened),
    "FundsDeposited": (
        pb.FundsDeposited,
        lambda m: FundsDeposited(m.amount_cents, m.reference, m.transfer_id),
    ),
    "FundsWithdrawn": (
        pb.FundsWithdrawn,
        lambda m: FundsWithdrawn(m.amount_cents, m.reference, m.transfer_id),
    ),
    "AccountClosed": (pb.AccountClosed, lambda _: AccountClosed()),
    "TransferRequested": (pb.TransferRequested, _requested),
    "TransferDebited": (pb.TransferDebited, lambda _: TransferDebited()),
    "TransferCompleted": (pb.TransferCompleted, lambda _: TransferCompleted()),
    "TransferRefused": (
        pb.TransferRefused,
        lambda m: TransferRefused(m.reason, m.message, m.refunded),
    ),
}


class ProtobufEventCodec:
    """Serializes the bank's events as the protobuf messages of events.proto."""

    def encode(self, event: DomainEvent) -> tuple[str, bytes]:
        message = _to_message(event)
        return type(event).__name__, message.SerializeToString(deterministic=True)

    def schema_version(self, event_type: str) -> int:
        return UPCASTER.current(event_type)

    def decode(self, event_type: str, payload: bytes) -> DomainEvent:
        try:
            message_type, to_event = DECODERS[event_type]
        except KeyError:
            raise ValueError(f"unknown event type {event_type!r}") from None
        return to_event(message_type.FromString(payload))


def _movement(message_type: type[Message]) -> Callable[[Any], Message]:
    return lambda e: message_type(
        amount_cents=e.amount_cents, reference=e.reference, transfer_id=e.transfer_id
    )


# Each event type, and how the event becomes its message.
ENCODERS: dict[type[DomainEvent], Callable[[Any], Message]] = {
    AccountOpened: lambda e: pb.AccountOpened(
        holder=e.holder,
        account_type=WIRE_ACCOUNT_TYPES[e.account_type],
        opening_balance_cents=e.opening_balance_cents,
    ),
    FundsDeposited: _movement(pb.FundsDeposited),
    FundsWithdrawn: _movement(pb.FundsWithdrawn),
    AccountClosed: lambda _: pb.AccountClosed(),
    TransferRequested: lambda e: pb.TransferRequested(
        source_account_id=e.source_account_id,
        target_account_id=e.target_account_id,
        amount_cents=e.amount_cents,
        reference=e.reference,
    ),
    TransferDebited: lambda _: pb.TransferDebited(),
    TransferCompleted: lambda _: pb.TransferCompleted(),
    TransferRefused: lambda e: pb.TransferRefused(
        reason=e.reason, message=e.message, refunded=e.refunded
    ),
}


def _to_message(event: DomainEvent) -> Message:
    try:
        return ENCODERS[type(event)](event)
    except KeyError:
        raise TypeError(f"not a bank event: {type(event).__name__}") from None
