"""`python -m projector`: consume account events from Kafka into the read database.

On the embedded default (in-process bus) the projector runs inside the command
server's process (`python -m embedded`) instead, and this entry point says so and exits.
"""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from functools import partial

from aiokafka.errors import KafkaError

from adapters.command_line import run_server, run_until_stopped
from adapters.factories import open_parked_events
from adapters.kafka.bus import KafkaTopic, ProtobufEnvelopeCodec, ensure_topic
from adapters.kafka.consumer import KafkaBatchConsumer
from adapters.settings import ConfigurationError, Settings, configure_telemetry
from adapters.telemetry.metrics import observe_parking
from bank.wire import UPCASTER
from core.parking import ParkedEvents, ParkingConsumer
from projector.bootstrap import build_projector
from projector.projection import PROJECTION
from projector.transient import batch_writer, is_transient
from techbank.account.v1 import events_pb2

log = logging.getLogger("projector")
# Time to finish the batch in hand after SIGTERM; past it the work is cancelled (the
# batch's transaction rolls back and its events are read again by the next owner).
STOP_GRACE_SECONDS = 5.0
RESTART_SECONDS = 2.0


async def main(settings: Settings) -> None:
    await run_until_stopped(partial(project, settings), STOP_GRACE_SECONDS)
    log.info("projector stopped")


async def project(settings: Settings, stop: asyncio.Event) -> None:
    """Consume until stopped; a store or Kafka unreachable at start is waited for."""
    while not stop.is_set():
        try:
            await _consume(settings, stop)
            return
        except Exception as exc:
            if not (is_transient(exc) or isinstance(exc, KafkaError)):
                raise
            log.warning("cannot start yet (%r); trying again in %.0f s", exc, RESTART_SECONDS)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), RESTART_SECONDS)


async def _consume(settings: Settings, stop: asyncio.Event) -> None:
    where = KafkaTopic.from_url(settings.event_bus_url)
    await ensure_topic(where)  # before subscribing, lest the broker auto-create it unpartitioned
    async with build_projector(settings) as projector, _parked(settings) as parked:
        load = projector.store.load
        projection = ParkingConsumer(
            PROJECTION, projector.projection.handle, parked, load, transient=is_transient
        )
        observe_parking(projection)
        if projector.fresh:  # Kafka may no longer hold the oldest events
            ids = projector.store.aggregate_ids()
            applied = await projector.projection.catch_up(ids, projection)
            log.info("new read model filled from the event store: %d events", applied)
        codec = ProtobufEnvelopeCodec(events_pb2.EventEnvelope)
        consumer = KafkaBatchConsumer(
            where.bootstrap_servers,
            where.topic,
            settings.projector_group,
            lambda record: UPCASTER(codec.decode(record)),  # older events on the topic too
        )
        log.info("projector consuming %s as group %s", where.topic, settings.projector_group)
        retrying = asyncio.create_task(projection.retry_forever())
        try:
            await consumer.run(
                batch_writer(
                    projector.projection,
                    projection,
                    where.topic,
                    stop,
                    settings.faults.slow_batch_seconds,
                ),
                partial(projector.read_model.offsets, where.topic),
                stop,
            )
        finally:
            retrying.cancel()


@contextlib.asynccontextmanager
async def _parked(settings: Settings) -> AsyncIterator[ParkedEvents]:
    """Where the projection parks what it fails on for good: beside the event store."""
    parked = await open_parked_events(settings.event_store_url)
    try:
        yield parked
    finally:
        await parked.close()


def start() -> None:
    settings = Settings()
    if settings.on_in_process_bus():
        raise ConfigurationError(
            "TECHBANK_EVENT_BUS_URL: on the in-process bus the projector runs inside "
            "`python -m embedded` (or set it to a kafka:// URL)"
        )
    configure_telemetry(
        settings,
        "techbank-projector",
        settings.projector_metrics_address,
        "TECHBANK_PROJECTOR_METRICS_ADDRESS",
    )
    asyncio.run(main(settings))


if __name__ == "__main__":
    run_server("projector", __doc__, start)
