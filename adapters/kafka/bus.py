"""Event bus on Apache Kafka through aiokafka: one topic, keyed by aggregate id.

Keying by aggregate keeps each aggregate's events in one partition, in version
order. The producer is idempotent with acks=all, so a retried send is not
duplicated by the broker and a returned publish is on every in-sync replica.
"""

import logging
from collections.abc import Callable, Sequence

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError

from adapters.kafka.topic import KafkaTopic
from core.errors import Unavailable
from core.event_bus import EventBus
from core.events import StoredEvent

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
