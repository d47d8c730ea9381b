"""Serializes stored events as a protobuf envelope message, for the bus.

Works for any envelope message with the fields of `StoredEvent` (event_id,
aggregate_id, aggregate_type, version, event_type, occurred_at as a Timestamp,
request_id, schema_version) and a oneof `payload` whose members are the event
messages, each named by its message type in `event_type`. Consumers in any
language then read typed events from the one envelope type.
"""

from datetime import UTC
from typing import Any

from google.protobuf.message import DecodeError, Message

from core.events import StoredEvent

PAYLOAD_ONEOF = "payload"


class UndecodableEvent(ValueError):
    """Bytes on the bus that are not an envelope this codec understands."""


class ProtobufEnvelopeCodec:
    def __init__(self, envelope_type: type[Message]) -> None:
        self._envelope_type = envelope_type
        oneof = envelope_type.DESCRIPTOR.oneofs_by_name[PAYLOAD_ONEOF]
        self._field_by_event_type = {
            f.message_type.name: f.name for f in oneof.fields if f.message_type is not None
        }

    def encode(self, event: StoredEvent) -> bytes:
        envelope: Any = self._envelope_type(
            event_id=event.event_id,
            aggregate_id=event.aggregate_id,
            aggregate_type=event.aggregate_type,
            version=event.version,
            event_type=event.event_type,
            request_id=event.request_id,
            schema_version=event.schema_version,
        )
        envelope.occurred_at.FromDatetime(event.occurred_at)
        payload = getattr(envelope, self._field_by_event_type[event.event_type])
        payload.SetInParent()  # marks an empty event message (no fields) as present
        payload.MergeFromString(event.payload)
        return bytes(envelope.SerializeToString(deterministic=True))

    def decode(self, data: bytes) -> StoredEvent:
        envelope: Any = self._envelope_type()
        try:
            envelope.ParseFromString(data)
        except DecodeError as exc:
            raise UndecodableEvent("not a protobuf event envelope") from exc
        member = envelope.WhichOneof(PAYLOAD_ONEOF)
        if member is None:
            raise UndecodableEvent(f"envelope {envelope.event_id!r} carries no event")
        return StoredEvent(
            event_id=envelope.event_id,
            aggregate_id=envelope.aggregate_id,
            aggregate_type=envelope.aggregate_type,
            version=envelope.version,
            event_type=envelope.event_type,
            occurred_at=envelope.occurred_at.ToDatetime(tzinfo=UTC),
            request_id=envelope.request_id,
            payload=getattr(envelope, member).SerializeToString(deterministic=True),
            schema_version=envelope.schema_version,
        )
