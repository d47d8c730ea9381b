"""Event bus on Apache Kafka through aiokafka: one topic, keyed by aggregate id.

Keying by aggregate keeps each aggregate's events in one partition, in version
order. The producer is idempotent with acks=all, so a retried send is not
duplicated by the broker and a returned publish is on every in-sync replica.
"""

from collections.abc import Callable, Sequence

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError

from adapters.kafka_topic import KafkaTopic
from core.errors import Unavailable
from core.event_bus import EventBus
from core.events import StoredEvent

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
    def __init__(self, producer: AIOKafkaProducer, topic: str, encode: Encode) -> None:
        self._producer = producer
        self._topic = topic
        self._encode = encode

    @classmethod
    async def connect(cls, where: KafkaTopic, encode: Encode) -> "KafkaEventBus":
        producer = AIOKafkaProducer(
            bootstrap_servers=where.bootstrap_servers,
            enable_idempotence=True,
            acks="all",
            request_timeout_ms=SEND_TIMEOUT_MS,
        )
        try:
            await producer.start()
            await ensure_topic(where)
        except KafkaError as exc:
            await producer.stop()
            raise Unavailable(f"Kafka at {where.bootstrap_servers} is unavailable") from exc
        return cls(producer, where.topic, encode)

    async def publish(self, events: Sequence[StoredEvent]) -> None:
        try:
            sent = [
                await self._producer.send(
                    self._topic,
                    value=self._encode(event),
                    key=event.aggregate_id.encode(),
                    headers=[("event_type", event.event_type.encode())],
                )
                for event in events
            ]
            for delivery in sent:
                await delivery
        except KafkaError as exc:
            raise Unavailable("the event bus is unavailable") from exc

    async def close(self) -> None:
        await self._producer.stop()
