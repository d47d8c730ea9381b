"""Event store on the embedded default's SQLite file, through the standard sqlite3 module.

Writes: one writer thread holds this process's only writing connection and commits
whatever writes are waiting as one transaction (group commit): with sixteen commands
in flight, one fsync serves them all, and no two connections of the process ever
wait on each other's lock. Each write runs in a SAVEPOINT of its own, so a write that
is refused (a lost race, a repeated request) is undone alone and its caller told;
the others commit. WAL with synchronous=FULL: an append that returned survives a
killed process and a crashed machine.

Reads run on the event loop's thread: indexed lookups in a local WAL file take
microseconds and never wait for a writer, less than handing them to a thread.

The tables are those of adapters.sql.event_tables, so either SQL adapter can open the file.
"""

import asyncio
import os
import sqlite3
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy.engine import make_url

from adapters.sql.engine import use_wal
from adapters.sql.event_tables import metadata, refuse_earlier_layout
from adapters.sqlite.writes import (
    InTurn,
    MarkPublished,
    Probe,
    Result,
    SaveSnapshot,
    Write,
    commit_group,
    stored_time,
)
from core.aggregate import Snapshot
from core.errors import Unavailable
from core.event_store import EventStore, OutboxPosition, check_contiguous
from core.events import STORED_FIELDS, StoredEvent
from core.feed import EventFeed, FeedEntry
from core.requests import Decision, Outcome, Refusal

UNAVAILABLE = "the event store is unavailable"
DEFAULT_BUSY_SECONDS = 5.0
MAX_GROUP = 512
# In StoredEvent's own field order, so that a row builds one by position.
SELECT_EVENTS = f"SELECT {', '.join(STORED_FIELDS)} FROM events"
OCCURRED_AT = STORED_FIELDS.index("occurred_at")
LOAD = f"{SELECT_EVENTS} WHERE aggregate_id = ? AND version > ? ORDER BY version"
LOAD_MANY = SELECT_EVENTS + " WHERE aggregate_id IN ({marks}) ORDER BY aggregate_id, version"
MAX_IDS_PER_QUERY = 500
LOAD_SNAPSHOT = "SELECT aggregate_id, version, schema, state FROM snapshots WHERE aggregate_id = ?"
UNPUBLISHED = (
    f"{SELECT_EVENTS} WHERE published = 0 AND occurred_at < ? AND (aggregate_id, version) > (?, ?) "
    "ORDER BY aggregate_id, version LIMIT ?"
)
OUTCOME = (
    "SELECT fingerprint, aggregate_id, version, refusal_kind, refusal_message "
    "FROM requests WHERE request_key = ?"
)
FIRST_EVENTS = "SELECT aggregate_id FROM events WHERE version = 1 ORDER BY position"
# The feed is the events in `position` order: SQLite gives a row its rowid inside the
# write's transaction, under the file's one write lock, so positions commit in order.
FEED = (
    f"SELECT position, {', '.join(STORED_FIELDS)} FROM events "
    "WHERE position > ? ORDER BY position LIMIT ?"
)
HEAD = "SELECT COALESCE(MAX(position), 0) FROM events"


class SqliteEventStore(EventStore, EventFeed):
    def __init__(self, path: str, busy_seconds: float = DEFAULT_BUSY_SECONDS) -> None:
        self._path, self._busy_seconds = path, busy_seconds
        self._reads = _open(path, busy_seconds)
        self._writes = _open(path, busy_seconds)
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="event-store-writer")
        self._waiting: list[tuple[Write, asyncio.Future[Result]]] = []
        self._committing: asyncio.Task[None] | None = None
        self._listeners: list[Callable[[], None]] = []

    @classmethod
    async def connect(cls, url: str) -> "SqliteEventStore":
        parsed = make_url(url)
        busy = float(parsed.query.get("timeout", DEFAULT_BUSY_SECONDS))  # type: ignore[arg-type]
        try:
            path = await asyncio.to_thread(create_tables, str(parsed.database))
            return cls(path, busy)
        except sqlite3.OperationalError as error:
            raise Unavailable(UNAVAILABLE) from error

    async def store_in_turn(self, decisions: Sequence[Decision], expected_version: int) -> int:
        check_contiguous([e for d in decisions for e in d.events], expected_version)
        stored = await self._write(InTurn(decisions, expected_version))
        assert isinstance(stored, int)
        for listener in self._listeners if stored else ():
            listener()  # committed: the new positions are readable
        return stored

    def notify(self, listener: Callable[[], None]) -> None:
        self._listeners.append(listener)

    async def mark_published(self, event_ids: Sequence[str]) -> None:
        await self._write(MarkPublished(list(event_ids)))

    async def save_snapshot(self, snapshot: Snapshot) -> None:
        await self._write(SaveSnapshot(snapshot))

    async def load_snapshot(self, aggregate_id: str) -> Snapshot | None:
        found = self._read(LOAD_SNAPSHOT, (aggregate_id,))
        return Snapshot(*found[0]) if found else None

    async def ping(self) -> None:
        # Reads of a WAL file never wait; what stops this store is another process
        # holding the write lock, which only a write transaction meets.
        await self._write(Probe())

    async def outcome(self, request_key: str) -> Outcome | None:
        found = self._read(OUTCOME, (request_key,))
        if not found:
            return None
        fingerprint, aggregate_id, version, kind, message = found[0]
        refusal = Refusal(kind, message) if kind is not None else None
        return Outcome(fingerprint, aggregate_id, version, refusal)

    async def load(self, aggregate_id: str, after_version: int = 0) -> list[StoredEvent]:
        return [_event(row) for row in self._read(LOAD, (aggregate_id, after_version))]

    async def load_many(self, aggregate_ids: Sequence[str]) -> dict[str, list[StoredEvent]]:
        found: dict[str, list[StoredEvent]] = {aggregate_id: [] for aggregate_id in aggregate_ids}
        for start in range(0, len(aggregate_ids), MAX_IDS_PER_QUERY):
            chunk = tuple(aggregate_ids[start : start + MAX_IDS_PER_QUERY])
            query = LOAD_MANY.format(marks=", ".join("?" * len(chunk)))
            for event in map(_event, self._read(query, chunk)):
                found[event.aggregate_id].append(event)
        return found

    async def unpublished(
        self, older_than: datetime, limit: int, after: OutboxPosition | None = None
    ) -> list[StoredEvent]:
        aggregate_id, version = after or ("", 0)
        rows = self._read(UNPUBLISHED, (stored_time(older_than), aggregate_id, version, limit))
        return [_event(row) for row in rows]

    async def read_after(self, position: int, limit: int) -> list[FeedEntry]:
        rows = self._read(FEED, (position, limit))
        return [FeedEntry(row[0], _event(row[1:])) for row in rows]

    async def head(self) -> int:
        return int(self._read(HEAD, ())[0][0])

    async def aggregate_ids(self) -> AsyncIterator[str]:
        # A connection of its own: a statement left open between chunks would hold the
        # shared one's snapshot, and every other read would stop seeing new events.
        scan = _open(self._path, self._busy_seconds)
        try:
            cursor = scan.execute(FIRST_EVENTS)
            while rows := cursor.fetchmany(1000):
                for (aggregate_id,) in rows:
                    yield aggregate_id
                await asyncio.sleep(0)
        finally:
            scan.close()

    async def close(self) -> None:
        while self._committing is not None:
            await asyncio.shield(self._committing)
        self._thread.shutdown()
        self._reads.close()
        self._writes.close()

    async def _write(self, write: Write) -> Result:
        """Queue a write for the next group commit and wait for its result."""
        future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        self._waiting.append((write, future))
        if self._committing is None:
            self._committing = asyncio.create_task(self._commit_waiting())
        return await future

    async def _commit_waiting(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self._waiting:
                group, self._waiting = self._waiting[:MAX_GROUP], self._waiting[MAX_GROUP:]
                writes = [write for write, _ in group]
                try:
                    results = await loop.run_in_executor(
                        self._thread, commit_group, self._writes, writes
                    )
                except sqlite3.Error as error:
                    results = [_unavailable(error)] * len(group)
                for (_, future), result in zip(group, results, strict=True):
                    _settle(future, result)
        finally:
            self._committing = None

    def _read(self, query: str, parameters: tuple[Any, ...]) -> list[Any]:
        try:
            return self._reads.execute(query, parameters).fetchall()
        except sqlite3.OperationalError as error:
            raise Unavailable(UNAVAILABLE) from error


def _open(path: str, busy_seconds: float) -> sqlite3.Connection:
    db = sqlite3.connect(path, timeout=busy_seconds, isolation_level=None, check_same_thread=False)
    use_wal(db.cursor())
    db.execute("PRAGMA synchronous = FULL")
    return db


def create_tables(database: str) -> str:
    """Create the file's tables unless they exist; the file's absolute path."""
    path = os.path.abspath(database)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    engine = create_sync_engine(f"sqlite:///{path}")
    try:
        with engine.begin() as conn:
            refuse_earlier_layout(conn)
            metadata.create_all(conn)
    finally:
        engine.dispose()
    return path


def _event(row: Sequence[Any]) -> StoredEvent:
    values = list(row)
    values[OCCURRED_AT] = datetime.fromisoformat(values[OCCURRED_AT]).replace(tzinfo=UTC)
    return StoredEvent(*values)


def _unavailable(error: sqlite3.Error) -> Exception:
    unavailable = Unavailable(UNAVAILABLE)
    unavailable.__cause__ = error
    return unavailable


def _settle(future: asyncio.Future[Result], result: Result) -> None:
    if future.done():  # its caller gave up (cancelled); the write happened or not all the same
        return
    if isinstance(result, Exception):
        future.set_exception(result)
    else:
        future.set_result(result)
