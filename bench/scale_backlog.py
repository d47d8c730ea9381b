"""The backlog the catch-up curve replays: accounts' histories already in the event store
and on the Kafka topic, as if the command servers had run while no projector did.

Written once, in bulk: every event into the store (published, with its request's
record, as the adapter writes it) and onto the topic (keyed by account, by the
command servers' own bus adapter and envelope codec). The accounts' openings also go
into a store of their own, from which each run's read model is restored first: a read
model that already holds the accounts is not filled from the store at start
(projector/__main__.py), so the projectors take every other event from Kafka.
"""

from collections.abc import Iterable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass

from pymongo import AsyncMongoClient

from adapters.kafka.bus import KafkaEventBus, KafkaTopic
from adapters.mongo.documents import OUTBOX, request_fields, to_document
from adapters.mongo.event_store import MongoEventStore
from bench.preload import history
from command_server.bootstrap import ENVELOPES
from core.events import StoredEvent
from core.requests import Request
from harness.stack import kafka_bootstrap, mongo_url, scratch_kafka_topic, scratch_mongo_database

PARTITIONS = 6  # the bus adapter's default, said here so the report can name it
Document = dict[str, object]


@dataclass(frozen=True)
class Backlog:
    store_url: str  # every event
    openings_url: str  # each account's opening only: what each read model is restored from
    bus_url: str  # the topic holding every event
    events: int
    accounts: int


def scratch_backlog(scratch: ExitStack, events: int, accounts: int) -> Backlog:
    """Names for a backlog's stores and topic, removed when `scratch` closes."""
    topic = scratch.enter_context(scratch_kafka_topic("scale"))
    per_account = max(events // accounts, 1)  # as bench.preload.history spreads them
    return Backlog(
        mongo_url(scratch.enter_context(scratch_mongo_database("scale"))),
        mongo_url(scratch.enter_context(scratch_mongo_database("scale_openings"))),
        f"kafka://{kafka_bootstrap()}/{topic}?partitions={PARTITIONS}",
        per_account * accounts,
        accounts,
    )


async def write_backlog(backlog: Backlog) -> int:
    """Fill the backlog's stores and topic; the number of events written."""
    for url in (backlog.store_url, backlog.openings_url):
        await (await MongoEventStore.connect(url)).close()  # the adapter's indexes first
    client: AsyncMongoClient[Document] = AsyncMongoClient(backlog.store_url, tz_aware=True)
    bus = await KafkaEventBus.connect(KafkaTopic.from_url(backlog.bus_url), ENVELOPES.encode)
    written = 0
    try:
        every = client.get_default_database()["events"]
        openings = client.get_database(_database_of(backlog.openings_url))["events"]
        for batch in history(backlog.events, backlog.accounts):
            await every.insert_many(list(_documents(batch)), ordered=False)
            await openings.insert_many(list(_documents(b for b in batch if b[0].version == 1)))
            await bus.publish([event for event, _ in batch])
            written += len(batch)
    finally:
        await bus.close()
        await client.close()
    return written


def _documents(batch: Iterable[tuple[StoredEvent, Request]]) -> Iterator[Document]:
    for event, request in batch:
        document = to_document(event) | request_fields(request, 1)
        del document[OUTBOX]  # published: it is on the topic
        yield document


def _database_of(url: str) -> str:
    return url.rsplit("/", 1)[1].split("?", 1)[0]
