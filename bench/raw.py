"""The raw legs: what each store and the bus do with the same rows, without Techbank.

- append: the rows one command writes (its request record and its event), through the
  driver Techbank uses, at the durability it uses: on SQLite one transaction each,
  committed with synchronous=FULL on one connection; on MongoDB one insert_one each, with
  the default write concern (w:1), `clients` at a time.
- produce: one event-sized record each to Kafka with Techbank's producer settings
  (idempotent, acks=all), `clients` at a time.
- read: a lookup by primary key of the read model's accounts table, and a full scan of it
  in account id order, through the driver the query server uses (sqlite3, asyncmy).
"""

import asyncio
import os
import random
import sqlite3
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncmy
from aiokafka import AIOKafkaProducer
from pymongo import AsyncMongoClient
from sqlalchemy.engine import make_url

from adapters.kafka.bus import KafkaTopic, ensure_topic
from adapters.mongo.event_store import DURABLE
from adapters.sql.read_generations import LIVE_GENERATION, tables_of
from adapters.sql.reader import connect_args
from adapters.sqlite.event_store import SqliteEventStore
from adapters.sqlite.writes import INSERT_EVENT, INSERT_REQUEST, stored_time
from bench.load import closed_loop
from bench.results import Config, Figures, Results
from harness.stack import delete_kafka_topic

SCENARIO = "Reference: the stores and the bus alone"
Call = Callable[[], Awaitable[None]]


@dataclass(frozen=True)
class Leg:
    """One raw operation to run in a closed loop, and how to clean up after it."""

    key: str  # its figure is "raw <key>"
    what: str
    call: Call
    close: Call


EVENT_BYTES = b"\x08\x64" * 20  # about the size of a serialized deposit


async def store_legs(env: dict[str, str], cfg: Config, results: Results, figures: Figures) -> None:
    store_url, read_db_url = env.get("TECHBANK_EVENT_STORE_URL", ""), _read_db_url(env)
    if store_url.startswith("mongodb"):
        await _measure(_mongo_append(store_url), cfg, results, figures)
        bootstrap = env["TECHBANK_EVENT_BUS_URL"].split("//")[1].split("/")[0]
        await _measure(await _kafka_produce(bootstrap), cfg, results, figures)
    else:
        path = os.path.join(env["TECHBANK_DATA_DIR"], "raw-append.db")
        await _measure(await _sqlite_append(path), cfg, results, figures)
    await _reads(read_db_url, cfg, results, figures)


def _read_db_url(env: dict[str, str]) -> str:
    default = f"sqlite:///{env['TECHBANK_DATA_DIR']}/read.db"
    return env.get("TECHBANK_READ_DB_URL", default)


async def _measure(leg: Leg, cfg: Config, results: Results, figures: Figures) -> None:
    try:
        measured = await closed_loop(lambda _: leg.call, cfg.clients, cfg.seconds)
    finally:
        await leg.close()
    figures[f"raw {leg.key}"] = measured.rate
    scenario = f"{SCENARIO}: {leg.what}, {cfg.clients} at a time"
    results[scenario, "throughput"] = f"{measured.rate:,.0f}/s"


async def _sqlite_append(path: str) -> Leg:
    await (await SqliteEventStore.connect(f"sqlite:///{path}")).close()  # the same tables
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    db.execute("PRAGMA synchronous = FULL")
    turn = asyncio.Lock()  # one connection: its commits cannot overlap

    def commit_one() -> None:
        aggregate, now = str(uuid.uuid4()), stored_time(datetime.now(UTC))
        db.execute("BEGIN IMMEDIATE")
        db.execute(INSERT_REQUEST, (str(uuid.uuid4()), "f" * 64, aggregate, 1, None, None, now))
        event = (str(uuid.uuid4()), aggregate, "T", 1, "E", 1, now, "r", EVENT_BYTES, 0)
        db.execute(INSERT_EVENT, event)
        db.execute("COMMIT")

    async def append() -> None:
        async with turn:
            commit_one()

    async def close() -> None:
        db.close()

    return Leg("append", "SQLite commit, one connection", append, close)


def _mongo_append(url: str) -> Leg:
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(url, tz_aware=True)
    # With the event store's write concern, so that the ratio compares like with like.
    collection = client.get_default_database(write_concern=DURABLE)["raw_append"]

    async def append() -> None:
        aggregate = str(uuid.uuid4())
        await collection.insert_one(
            {
                "_id": f"{aggregate}#1",
                "request": f"r:{uuid.uuid4()}",
                "aggregate_id": aggregate,
                "version": 1,
                "occurred_at": datetime.now(UTC),
                "payload": EVENT_BYTES,
                "outbox": "pending",
            }
        )

    async def close() -> None:
        await collection.drop()
        await client.close()

    return Leg("append", "MongoDB insert_one", append, close)


async def _kafka_produce(bootstrap: str) -> Leg:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True, acks="all")
    topic = f"techbank-raw-{uuid.uuid4().hex[:8]}"
    await ensure_topic(KafkaTopic(bootstrap, topic))  # as many partitions as Techbank's
    await producer.start()

    async def produce() -> None:
        await producer.send_and_wait(topic, EVENT_BYTES * 3, key=uuid.uuid4().bytes)

    async def close() -> None:
        await producer.stop()
        await delete_kafka_topic(topic)

    return Leg("produce", "Kafka send (idempotent, acks=all)", produce, close)


async def _reads(url: str, cfg: Config, results: Results, figures: Figures) -> None:
    if make_url(url).get_backend_name() == "sqlite":
        await _sqlite_reads(str(make_url(url).database), cfg, results, figures)
    else:
        await _mysql_reads(url, cfg, results, figures)


# The live generation's accounts table (adapters.sql.read_generations), the one queries read.
SCAN = "SELECT account_id, version, wire FROM {accounts} ORDER BY account_id"
LOOKUP = "SELECT account_id, version, wire FROM {accounts} WHERE account_id = ?"
ALL_IDS = "SELECT account_id FROM {accounts}"


async def _sqlite_reads(path: str, cfg: Config, results: Results, figures: Figures) -> None:
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    (live,) = db.execute(LIVE_GENERATION).fetchone()
    accounts = tables_of(live).accounts.name
    ids = [row[0] for row in db.execute(ALL_IDS.format(accounts=accounts))]

    async def lookup() -> None:
        db.execute(LOOKUP.format(accounts=accounts), (random.choice(ids),)).fetchall()

    async def scan() -> int:
        return len(db.execute(SCAN.format(accounts=accounts)).fetchall())

    async def close() -> None:
        db.close()

    await _scan(scan, results, figures)
    await _measure(Leg("lookup", "SQLite lookup by key", lookup, close), cfg, results, figures)


async def _mysql_reads(url: str, cfg: Config, results: Results, figures: Figures) -> None:
    pool = await asyncmy.create_pool(**connect_args(url))

    async def rows(query: str, *parameters: object) -> list[tuple[object, ...]]:
        async with pool.acquire() as connection, connection.cursor() as cursor:
            await cursor.execute(query, parameters)
            return list(await cursor.fetchall())

    [(live,)] = await rows(LIVE_GENERATION)
    accounts = tables_of(int(str(live))).accounts.name
    ids = [row[0] for row in await rows(ALL_IDS.format(accounts=accounts))]

    async def lookup() -> None:
        await rows(LOOKUP.format(accounts=accounts).replace("?", "%s"), random.choice(ids))

    async def scan() -> int:
        return len(await rows(SCAN.format(accounts=accounts)))

    async def close() -> None:
        pool.close()
        await pool.wait_closed()

    await _scan(scan, results, figures)
    await _measure(Leg("lookup", "MySQL lookup by key", lookup, close), cfg, results, figures)


async def _scan(scan: Callable[[], Awaitable[int]], results: Results, figures: Figures) -> None:
    started = time.perf_counter()
    rows = await scan()
    figures["raw scan"] = rows / (time.perf_counter() - started)
    scenario = f"{SCENARIO}: full scan of the accounts table ({rows:,} rows)"
    results[scenario, "throughput"] = f"{figures['raw scan']:,.0f} rows/s"
