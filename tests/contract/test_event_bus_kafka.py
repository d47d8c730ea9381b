"""The event bus contract for KafkaEventBus against the real Kafka broker."""

import uuid
from collections.abc import AsyncIterator

import pytest
from aiokafka import AIOKafkaConsumer

from adapters.kafka.bus import KafkaEventBus, KafkaTopic, ProtobufEnvelopeCodec
from core.event_store import EventBus
from core.events import StoredEvent
from harness.stack import delete_kafka_topic, kafka_bootstrap
from techbank.account.v1 import events_pb2
from tests.contract.event_bus_contract import EventBusContract, Received

CODEC = ProtobufEnvelopeCodec(events_pb2.EventEnvelope)


class TestKafkaEventBus(EventBusContract):
    @pytest.fixture
    async def bus(self) -> AsyncIterator[tuple[EventBus, Received]]:
        where = KafkaTopic(kafka_bootstrap(), f"techbank-contract-{uuid.uuid4().hex[:12]}")
        bus = await KafkaEventBus.connect(where, CODEC.encode)
        consumer = AIOKafkaConsumer(
            where.topic, bootstrap_servers=where.bootstrap_servers, auto_offset_reset="earliest"
        )
        await consumer.start()

        async def received(count: int) -> list[StoredEvent]:
            got: list[StoredEvent] = []
            while len(got) < count:
                record = await consumer.getone()
                assert record.key == CODEC.decode(record.value).aggregate_id.encode()
                got.append(CODEC.decode(record.value))
            return got

        yield bus, received
        await consumer.stop()
        await bus.close()
        await delete_kafka_topic(where.topic)
