"""Consumes a Kafka topic in batches whose effects and offsets are stored together.

Offsets live in the destination database, written in the same transaction as the
batch's effects, and the consumer seeks to them whenever partitions are assigned:
after a crash or a rebalance it resumes exactly after the last stored batch.
Kafka's own committed offsets are updated afterwards, for lag monitoring only, so
a commit refused because a rebalance moved the partition away is of no concern:
the new owner starts from the offsets in the database.
"""

import asyncio
import dataclasses
import logging
from collections.abc import Awaitable, Callable, Sequence

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import KafkaError

from adapters.telemetry.metrics import CONSUMER_LAG
from core.events import StoredEvent

log = logging.getLogger(__name__)

Offsets = dict[int, int]  # partition -> offset of the next record to read
StoreBatch = Callable[[Sequence[StoredEvent], Offsets], Awaitable[None]]
LoadOffsets = Callable[[], Awaitable[Offsets]]
Decode = Callable[[bytes], StoredEvent]
MAX_BATCH = 500
PAUSE_AFTER_KAFKA_ERROR_SECONDS = 1.0


class StopConsuming(Exception):
    """Raised by a batch handler that was asked to stop before it stored its batch."""


class _SeekToStoredOffsets(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, consumer: AIOKafkaConsumer, load_offsets: LoadOffsets | None) -> None:
        self._consumer = consumer
        self._load_offsets = load_offsets

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        """Nothing to flush: every handled batch is already stored with its offsets."""

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        if self._load_offsets is None:  # Kafka's committed offsets are the ones to resume at
            log.info("assigned partitions %s", sorted(p.partition for p in assigned))
            return
        stored = await self._load_offsets()
        for partition in assigned:
            if partition.partition in stored:
                self._consumer.seek(partition, stored[partition.partition])
            else:
                await self._consumer.seek_to_beginning(partition)
        log.info("assigned partitions %s", sorted(p.partition for p in assigned))


# A consumer that dies without leaving (SIGKILL, a lost host) holds its partitions until
# the broker has heard nothing for the session timeout: 6 s, the broker's floor
# (group.min.session.timeout.ms), rather than aiokafka's 10 s; heartbeats every 2 s.
SESSION_TIMEOUT_MS = 6_000
HEARTBEAT_INTERVAL_MS = 2_000


class KafkaBatchConsumer:
    def __init__(self, bootstrap_servers: str, topic: str, group_id: str, decode: Decode) -> None:
        self._topic = topic
        self._decode = decode
        self._next_offsets: dict[TopicPartition, int] = {}
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap_servers,
            group_id=group_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            isolation_level="read_committed",
            session_timeout_ms=SESSION_TIMEOUT_MS,
            heartbeat_interval_ms=HEARTBEAT_INTERVAL_MS,
        )

    async def run(
        self, store_batch: StoreBatch, load_offsets: LoadOffsets | None, stop: asyncio.Event
    ) -> None:
        """Hand batches to `store_batch` until `stop` is set; the batch in hand is finished,
        unless `store_batch` gives it up with StopConsuming (it is then read again later).

        Without `load_offsets` a batch's offsets are stored nowhere else: the commit to
        Kafka after `store_batch` returns is what a restart resumes from, so a batch is
        handled at least once (twice when the process dies between the two)."""
        listener = _SeekToStoredOffsets(self._consumer, load_offsets)
        self._consumer.subscribe([self._topic], listener=listener)
        await self._consumer.start()
        try:
            while not stop.is_set():
                await self._next_batches(store_batch)
        except StopConsuming:
            log.info("stopped before storing the batch in hand; it will be read again")
        finally:
            await self._consumer.stop()

    async def _next_batches(self, store_batch: StoreBatch) -> None:
        try:
            batches = await self._consumer.getmany(timeout_ms=500, max_records=MAX_BATCH)
        except KafkaError as exc:
            log.warning("reading from Kafka failed (%r); trying again", exc)
            await asyncio.sleep(PAUSE_AFTER_KAFKA_ERROR_SECONDS)
            return
        for partition, records in batches.items():
            next_offset = records[-1].offset + 1
            await store_batch(self._decoded(records), {partition.partition: next_offset})
            await self._commit_for_monitoring(partition, next_offset)
            self._next_offsets[partition] = next_offset
        self._report_lag()

    def _report_lag(self) -> None:
        """Each partition's lag as of the last fetch: the records readable (committed,
        as this consumer reads) past the next one to store."""
        for partition in self._consumer.assignment():
            end = self._consumer.last_stable_offset(partition)
            next_offset = self._next_offsets.get(partition)
            if end is not None and next_offset is not None:
                CONSUMER_LAG.labels(str(partition.partition)).set(max(end - next_offset, 0))

    async def _commit_for_monitoring(self, partition: TopicPartition, next_offset: int) -> None:
        try:
            await self._consumer.commit({partition: next_offset})
        except KafkaError as exc:  # e.g. the partition was reassigned during the batch
            log.info("Kafka commit of partition %d skipped: %r", partition.partition, exc)

    def _decoded(self, records: Sequence[object]) -> list[StoredEvent]:
        events = []
        for record in records:
            try:
                events.append(with_headers(self._decode(record.value), record.headers))  # type: ignore[attr-defined]
            except Exception:
                # A record that cannot be read as an event (not an envelope, or one whose
                # payload cannot be upcast) is skipped, not retried forever; a real event
                # lost this way is read from the event store at its account's next event's
                # gap, and parked there if it cannot be read from there either.
                log.exception("skipping undecodable record at offset %s", record.offset)  # type: ignore[attr-defined]
        return events


def with_headers(event: StoredEvent, headers: Sequence[tuple[str, bytes]]) -> StoredEvent:
    """The event with the headers it travelled with, but its type (already in the event)."""
    carried = tuple((key, value.decode(errors="replace")) for key, value in headers)
    carried = tuple(header for header in carried if header[0] != "event_type")
    return dataclasses.replace(event, headers=carried) if carried else event
