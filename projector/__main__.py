"""`python -m projector`: consume account events from Kafka into the read database.

On the embedded default (in-process bus) the projector runs inside the command
server instead, and this entry point says so and exits.
"""

import asyncio
import logging
import sys
from functools import partial

from adapters.factories import open_event_store
from adapters.kafka_bus import ensure_topic
from adapters.kafka_consumer import KafkaBatchConsumer
from adapters.kafka_topic import KafkaTopic
from adapters.protobuf_envelope import ProtobufEnvelopeCodec
from adapters.settings import Settings, configure_logging
from adapters.signals import stop_requested
from projector.bootstrap import batch_writer, build_projection
from projector.offsets import load_offsets
from techbank.account.v1 import events_pb2

log = logging.getLogger("projector")


async def main(settings: Settings) -> None:
    stop = stop_requested()
    where = KafkaTopic.from_url(settings.event_bus_url)
    await ensure_topic(where)  # before subscribing, lest the broker auto-create it unpartitioned
    store = await open_event_store(settings.event_store_url)
    projection, engine = await build_projection(settings.read_db_url, store)
    codec = ProtobufEnvelopeCodec(events_pb2.EventEnvelope)
    consumer = KafkaBatchConsumer(
        where.bootstrap_servers, where.topic, settings.projector_group, codec.decode
    )
    log.info("projector consuming %s as group %s", where.topic, settings.projector_group)
    try:
        await consumer.run(
            batch_writer(projection, engine, where.topic, stop),
            partial(load_offsets, engine, where.topic),
            stop,
        )
    finally:
        await engine.dispose()
        await store.close()
    log.info("projector stopped")


if __name__ == "__main__":
    settings = Settings()
    configure_logging(settings)
    if settings.event_bus_url == "inprocess://":
        sys.exit("on the in-process bus the projector runs inside the command server")
    asyncio.run(main(settings))
