"""`--preload-events N --preload-accounts M`: a store that already holds history.

Before the servers start, M accounts and N events in all (each account opened, then
one-cent deposits) are written straight into the stack's event store, in bulk and in
the layout its adapter writes (each event with its request's record, already
published), and the read database is rebuilt from them with the operator's own
`projector.restore`, whose speed is reported. The phases then run on that store.
"""

import asyncio
import os
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from pymongo import MongoClient
from sqlalchemy.engine import make_url

from adapters.mongo.documents import OUTBOX, request_fields, to_document
from adapters.mongo.event_store import MongoEventStore
from adapters.sqlite.event_store import create_tables
from adapters.sqlite.writes import INSERT_EVENT, INSERT_REQUEST, event_row, stored_time
from bank.account import BankAccount
from bank.events import AccountType
from bank.wire import ProtobufEventCodec
from bench.results import Results
from core.events import StoredEvent
from core.requests import Request
from harness.processes import REPO

BATCH = 20_000
RESTORE_DONE = "restore done"


@dataclass(frozen=True)
class Preloaded:
    events: int
    accounts: int
    load_seconds: float
    restore_line: str  # the restore's own last line: its counts, time and events/s


def preload_rows(preloaded: Preloaded) -> Results:
    scenario = f"Preloaded store: {preloaded.events:,} events over {preloaded.accounts:,} accounts"
    return {
        (scenario, "written in bulk"): f"{preloaded.load_seconds:.0f} s",
        (scenario, "read database restored (projector.restore)"): preloaded.restore_line,
    }


def preload(env: dict[str, str], events: int, accounts: int) -> Preloaded:
    """Fill the event store named by `env`, then restore the read database from it."""
    started = time.monotonic()
    url = env.get("TECHBANK_EVENT_STORE_URL", f"sqlite:///{env['TECHBANK_DATA_DIR']}/events.db")
    write = _write_mongo if url.startswith("mongodb") else _write_sqlite
    write(url, history(events, accounts))
    loaded = time.monotonic() - started
    return Preloaded(events, accounts, loaded, restore(env))


def history(events: int, accounts: int) -> Iterator[list[tuple[StoredEvent, Request]]]:
    """Batches of (event, the request that caused it), each account's in version order."""
    codec, now = ProtobufEventCodec(), datetime.now(UTC).replace(microsecond=0)
    per_account = max(events // accounts, 1)
    batch: list[tuple[StoredEvent, Request]] = []
    for _ in range(accounts):
        account = BankAccount.open(str(uuid.uuid4()), "Preloaded Holder", AccountType.CURRENT, 0)
        for _ in range(per_account - 1):
            account.deposit(1)
        for version, event in enumerate(account.pending_events, start=1):
            event_type, payload = codec.encode(event)
            request = Request(str(uuid.uuid4()), "p" * 64)
            stored = StoredEvent(
                str(uuid.uuid4()), account.id, "BankAccount", version, event_type, now,
                request.request_id, payload,
            )  # fmt: skip
            batch.append((stored, request))
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _write_sqlite(url: str, batches: Iterator[list[tuple[StoredEvent, Request]]]) -> None:
    path = create_tables(str(make_url(url).database))
    db = sqlite3.connect(path, isolation_level=None)
    try:
        for batch in batches:
            now = stored_time(datetime.now(UTC))
            db.execute("BEGIN IMMEDIATE")
            db.executemany(INSERT_EVENT, [(*event_row(e)[:-1], 1) for e, _ in batch])
            db.executemany(
                INSERT_REQUEST,
                [
                    (r.key, r.fingerprint, e.aggregate_id, e.version, None, None, now)
                    for e, r in batch
                ],
            )
            db.execute("COMMIT")
    finally:
        db.close()


def _write_mongo(url: str, batches: Iterator[list[tuple[StoredEvent, Request]]]) -> None:
    asyncio.run(_create_indexes(url))
    client: MongoClient[dict[str, object]] = MongoClient(url, tz_aware=True)
    events = client.get_default_database("techbank")["events"]
    try:
        for batch in batches:
            documents = []
            for event, request in batch:
                document = to_document(event) | request_fields(request, 1)
                del document[OUTBOX]  # published long ago
                documents.append(document)
            events.insert_many(documents, ordered=False)
    finally:
        client.close()


async def _create_indexes(url: str) -> None:
    """The adapter's indexes (and, on FerretDB, their GIN twins) before the bulk load."""
    await (await MongoEventStore.connect(url)).close()


def restore(env: dict[str, str]) -> str:
    """Run the operator's `projector.restore` on `env`'s stores; its own last line."""
    finished = subprocess.run(
        [sys.executable, "-m", "projector.restore"],
        cwd=REPO,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    done = [line for line in finished.stderr.splitlines() if RESTORE_DONE in line]
    return done[-1].split(": ", 1)[-1] if done else "no restore report"
