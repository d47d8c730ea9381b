"""The bank's wire vocabulary: the one mapping between the protobuf contract's enums and
the domain's, and the framing its read model keeps answers in.

Protobuf's wire framing of a length-delimited field, to assemble messages from parts.

A repeated message field is, on the wire, one element per item: the field's tag, the
item's length as a varint, then the item's bytes. A message made of one such field is
the concatenation of its elements, so a store that keeps each item framed can answer
a list of them without parsing or building a message.

How the bank's state is written down: its events to and from the protobuf messages of
events.proto (for the event store and the bus), a BankAccount's snapshot, and how the
events evolved.

One codec for both aggregates' events (BankAccount's and Transfer's). Each type is
written at its current schema version (bank.wire); decoding expects that version,
which the store's readers see every event in (core.upcasting).

A BankAccount's state as a snapshot stores it (core.aggregate) is a small JSON object;
SCHEMA names the object's shape. Change it whenever BankAccount's state changes shape
(a field added, renamed or read differently): snapshots of the old shape are then
ignored, and the account is folded from its events as if there were none.

The events' evolution is the upcaster every reader of the event store reads through
(core.upcasting), and the version each event type is written at now.

The rules every change follows are in docs/evolution.md. The history:
- FundsDeposited and FundsWithdrawn, version 2: `reference` (the client's free text)
  and `transfer_id` (the transfer the movement is a step of) were added.
"""

import json
from collections.abc import Callable
from typing import Any

from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

from bank.account import BankAccount
from bank.events import (
    AccountClosed,
    AccountOpened,
    AccountType,
    FundsDeposited,
    FundsWithdrawn,
    TransferCompleted,
    TransferDebited,
    TransferRefused,
    TransferRequested,
)
from core.event_store import EventStore
from core.events import DomainEvent
from core.upcasting import Upcaster, UpcastingEventStore
from techbank.account.v1 import account_pb2
from techbank.account.v1 import events_pb2 as pb

ACCOUNT_TYPES = {
    account_pb2.ACCOUNT_TYPE_SAVINGS: AccountType.SAVINGS,
    account_pb2.ACCOUNT_TYPE_CURRENT: AccountType.CURRENT,
}
WIRE_ACCOUNT_TYPES = {domain: wire for wire, domain in ACCOUNT_TYPES.items()}


LENGTH_DELIMITED = 2


def element(field: FieldDescriptor, item: bytes) -> bytes:
    """`item` (a serialized message) framed as one element of `field`."""
    if field.type != FieldDescriptor.TYPE_MESSAGE or field.number >= 16:
        raise ValueError(f"{field.full_name}: only message fields numbered 1 to 15")
    return bytes((field.number << 3 | LENGTH_DELIMITED,)) + varint(len(item)) + item


def item_of(framed: bytes) -> bytes:
    """The serialized message inside an element that `element` framed."""
    position = 1  # past the one-byte tag
    while framed[position] & 0x80:
        position += 1
    return framed[position + 1 :]


def varint(value: int) -> bytes:
    out = bytearray()
    while value >= 0x80:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _movement_v1_to_v2(payload: bytes) -> bytes:
    """A version 1 deposit or withdrawal held `amount_cents` alone. Version 2 adds two
    fields, both empty for what version 1 stored, and adds them as new field numbers
    (the rule that makes this step free): version 1's bytes already are a version 2
    payload with both empty, so they stand as they are."""
    return payload


UPCASTER = Upcaster(
    {
        ("FundsDeposited", 1): _movement_v1_to_v2,
        ("FundsWithdrawn", 1): _movement_v1_to_v2,
    }
)


def in_current_shapes(store: EventStore) -> UpcastingEventStore:
    """`store`, read through the bank's upcaster (once, however often it is asked)."""
    if isinstance(store, UpcastingEventStore):
        return store
    return UpcastingEventStore(store, UPCASTER)


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


SCHEMA = "BankAccount/1"


class BankAccountSnapshots:
    schema = SCHEMA

    def encode(self, account: BankAccount) -> bytes:
        state = {
            "holder": account.holder,
            "balance_cents": account.balance_cents,
            "is_open": account.is_open,
        }
        return json.dumps(state, ensure_ascii=False, separators=(",", ":")).encode()

    def decode(self, aggregate_id: str, version: int, state: bytes) -> BankAccount:
        fields = json.loads(state)
        account = BankAccount(aggregate_id)
        account.holder = str(fields["holder"])
        account.balance_cents = int(fields["balance_cents"])
        account.is_open = bool(fields["is_open"])
        account.version = version
        return account
