"""Finishing the transfers whose driver died: the bus tells of every transfer event, and
a transfer an event leaves under way is driven again (command_server.transfers).

On Kafka the command servers read the topic as one consumer group of their own
(TECHBANK_TRANSFERS_GROUP), committing a batch's offsets only once every transfer in
it has ended or was parked (core.parking: a transfer the process fails on for good, such
as one whose refund cannot be taken, is set aside instead of holding up the partition):
a server killed in between leaves the batch to whoever reads it next, itself after a
restart or another server. On the in-process bus the outbox delivers the events to the
process directly (the embedded root subscribes it), and an event is marked published
only once that delivery has returned.
"""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence

from adapters.kafka.bus import KafkaTopic, ProtobufEnvelopeCodec, ensure_topic
from adapters.kafka.consumer import KafkaBatchConsumer, Offsets, StopConsuming
from adapters.settings import Settings
from bank.wire import UPCASTER
from core.events import StoredEvent
from core.parking import ParkingConsumer
from techbank.account.v1 import events_pb2

log = logging.getLogger(__name__)
RETRY_SECONDS = 1.0
Closer = Callable[[], Awaitable[None]]


async def start_transfer_recovery(settings: Settings, transfers: ParkingConsumer) -> Closer:
    """Start reading the bus for transfers left under way, and retrying the parked ones
    operators ask for; the closer stops both."""
    if settings.on_in_process_bus():
        return _nothing_to_stop
    stop = asyncio.Event()
    reading = asyncio.create_task(_consume_until_stopped(settings, transfers, stop))
    retrying = asyncio.create_task(transfers.retry_forever())

    async def close() -> None:
        """Stop reading; a consumer that does not stop in time is cancelled (what it had
        not committed is read again by the group)."""
        stop.set()
        retrying.cancel()
        with contextlib.suppress(asyncio.CancelledError, TimeoutError):
            await asyncio.wait_for(reading, RETRY_SECONDS * 5)
        with contextlib.suppress(asyncio.CancelledError):
            await retrying

    return close


async def _nothing_to_stop() -> None:
    return None


async def _consume_until_stopped(
    settings: Settings, transfers: ParkingConsumer, stop: asyncio.Event
) -> None:
    where = KafkaTopic.from_url(settings.event_bus_url)
    codec = ProtobufEnvelopeCodec(events_pb2.EventEnvelope)
    while not stop.is_set():
        try:
            await ensure_topic(where)
            consumer = KafkaBatchConsumer(
                where.bootstrap_servers,
                where.topic,
                settings.transfers_group,
                lambda record: UPCASTER(codec.decode(record)),
            )
            await consumer.run(_resuming(transfers, stop), None, stop)
        except Exception as exc:
            log.warning("reading the bus for transfers failed (%r); again shortly", exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), RETRY_SECONDS)


def _resuming(
    transfers: ParkingConsumer, stop: asyncio.Event
) -> Callable[[Sequence[StoredEvent], Offsets], Awaitable[None]]:
    async def resume(events: Sequence[StoredEvent], _offsets: Offsets) -> None:
        """Return only once every transfer the batch leaves under way has ended or was
        parked: the batch's offsets are committed then."""
        while True:
            try:
                await transfers(events)
                return
            except Exception as exc:  # transient: the parking consumer raises no other
                if stop.is_set():
                    raise StopConsuming from exc
                log.warning("finishing transfers failed (%r); trying again", exc)
                await asyncio.sleep(RETRY_SECONDS)

    return resume
