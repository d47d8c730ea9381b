"""Event bus on Apache Kafka through aiokafka: one topic, keyed by aggregate id.

Keying by aggregate keeps each aggregate's events in one partition, in version order.
The producer is idempotent with acks=all, so a retried send is not duplicated by the
broker and a returned publish is on every in-sync replica. Where the events go
(KafkaTopic) is parsed from one URL: kafka://host:port[,host:port]/topic.

Each record is a protobuf envelope message (ProtobufEnvelopeCodec), which works for any
envelope message with the fields of `StoredEvent` (event_id, aggregate_id,
aggregate_type, version, event_type, occurred_at as a Timestamp, request_id,
schema_version) and a oneof `payload` whose members are the event messages, each named
by its message type in `event_type`. Consumers in any language then read typed events
from the one envelope type."""

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC
from typing import Any
from urllib.parse import parse_qs, urlsplit

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError
from google.protobuf.message import DecodeError, Message

from adapters.settings import ConfigurationError, redacted
from core.errors import Unavailable
from core.event_store import EventBus
from core.events import StoredEvent

# Partitions spread aggregates over the projector's consumers; each aggregate's events
# stay in one partition, in order.
DEFAULT_PARTITIONS = 6


@dataclass(frozen=True)
class KafkaTopic:
    bootstrap_servers: str
    topic: str
    partitions: int = DEFAULT_PARTITIONS
    replication: int = 1

    @classmethod
    def from_url(cls, url: str) -> "KafkaTopic":
        """The topic TECHBANK_EVENT_BUS_URL names; ConfigurationError naming it unless it
        is kafka://host:port[,host:port]/topic[?partitions=N&replication=N]."""
        parts = urlsplit(url)
        topic = parts.path.strip("/")
        try:
            if parts.scheme != "kafka" or not parts.netloc or not topic:
                raise ValueError("no host or topic")
            options = {key: int(values[-1]) for key, values in parse_qs(parts.query).items()}
        except ValueError:
            raise ConfigurationError(
                f"TECHBANK_EVENT_BUS_URL={redacted(url)}: expected "
                "kafka://host:port[,host:port]/topic[?partitions=N&replication=N]"
            ) from None
        return cls(
            parts.netloc,
            topic,
            options.get("partitions", DEFAULT_PARTITIONS),
            options.get("replication", 1),
        )


log = logging.getLogger(__name__)
Encode = Callable[[StoredEvent], bytes]
SEND_TIMEOUT_MS = 10_000


async def ensure_topic(where: KafkaTopic) -> None:
    """Create the topic unless it exists already."""
    admin = AIOKafkaAdminClient(bootstrap_servers=where.bootstrap_servers)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(where.topic, where.partitions, where.replication)])
    except TopicAlreadyExistsError:
        pass
    finally:
        await admin.close()


class KafkaEventBus(EventBus):
    """Connects on first use and again after a failure, so a process can start, and keep
    serving, while Kafka is away: what it could not publish waits in the outbox."""

    def __init__(self, where: KafkaTopic, encode: Encode) -> None:
        self._where = where
        self._encode = encode
        self._producer: AIOKafkaProducer | None = None

    @classmethod
    async def connect(cls, where: KafkaTopic, encode: Encode) -> "KafkaEventBus":
        bus = cls(where, encode)
        try:
            await bus._started()
        except Unavailable:
            log.warning("Kafka at %s is unavailable; will retry", where.bootstrap_servers)
        return bus

    async def _started(self) -> AIOKafkaProducer:
        if self._producer is not None:
            return self._producer
        producer = AIOKafkaProducer(
            bootstrap_servers=self._where.bootstrap_servers,
            enable_idempotence=True,
            acks="all",
            request_timeout_ms=SEND_TIMEOUT_MS,
        )
        try:
            await producer.start()
            await ensure_topic(self._where)
        except KafkaError as exc:
            await producer.stop()
            raise Unavailable(f"Kafka at {self._where.bootstrap_servers} is unavailable") from exc
        self._producer = producer
        return producer

    async def publish(self, events: Sequence[StoredEvent]) -> None:
        producer = await self._started()
        try:
            sent = [
                await producer.send(
                    self._where.topic,
                    value=self._encode(event),
                    key=event.aggregate_id.encode(),
                    headers=[
                        ("event_type", event.event_type.encode()),
                        *((key, value.encode()) for key, value in event.headers),
                    ],
                )
                for event in events
            ]
            for delivery in sent:
                await delivery
        except KafkaError as exc:
            raise Unavailable("the event bus is unavailable") from exc

    async def close(self) -> None:
        if self._producer is not None:
            await self._producer.stop()


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
