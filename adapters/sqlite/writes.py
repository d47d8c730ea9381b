"""The SQLite event store's writes, and the group commit that runs them on its writer thread.

Everything here runs on that thread, with its own connection: a whole group is one
transaction and one hop from the event loop. Each write can give its rows, so that a
group with no refused write runs as one statement per table, and can run alone in a
savepoint, for the group that has one. A write's result is None, the count a turn
stored, or the exception that refused it.
"""

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from adapters.sql.event_tables import EVENT_COLUMNS
from core.aggregate import Snapshot
from core.errors import ConcurrencyError
from core.events import StoredEvent
from core.requests import Decision, Refusal, Request, RequestAlreadyDecided

INSERT_EVENT = (
    f"INSERT INTO events ({', '.join(EVENT_COLUMNS)}, published) "
    f"VALUES ({', '.join('?' * (len(EVENT_COLUMNS) + 1))})"
)
INSERT_REQUEST = (
    "INSERT INTO requests (request_key, fingerprint, aggregate_id, version, refusal_kind, "
    "refusal_message, decided_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
)
MARK_PUBLISHED = "UPDATE events SET published = 1 WHERE event_id = ?"
# The later snapshot wins (two processes may snapshot one aggregate at once).
SAVE_SNAPSHOT = (
    "INSERT INTO snapshots (aggregate_id, version, schema, state) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (aggregate_id) DO UPDATE SET version = excluded.version, "
    "schema = excluded.schema, state = excluded.state WHERE excluded.version > snapshots.version"
)
Row = tuple[object, ...]
Result = Exception | int | None


@dataclass
class Rows:
    """The rows of a group's writes, one list per statement."""

    now: str
    requests: list[Row] = field(default_factory=list)
    events: list[Row] = field(default_factory=list)
    published: list[Row] = field(default_factory=list)
    snapshots: list[Row] = field(default_factory=list)


@dataclass(frozen=True)
class Append:
    request: Request
    events: list[StoredEvent]
    expected_version: int

    def rows(self, into: Rows) -> Result:
        last = self.events[-1]
        into.requests.append(
            _request_row(self.request, last.aggregate_id, last.version, None, into.now)
        )
        into.events.extend(event_row(e) for e in self.events)
        return None

    def run_alone(self, db: sqlite3.Connection) -> Result:
        last = self.events[-1]
        _insert_request(db, self.request, last.aggregate_id, last.version, None)
        try:
            db.executemany(INSERT_EVENT, [event_row(e) for e in self.events])
        except sqlite3.IntegrityError as exc:
            raise ConcurrencyError(
                f"{last.aggregate_id} is no longer at version {self.expected_version}"
            ) from exc
        return None


@dataclass(frozen=True)
class Refuse:
    request: Request
    aggregate_id: str
    version: int
    refusal: Refusal

    def rows(self, into: Rows) -> Result:
        row = _request_row(self.request, self.aggregate_id, self.version, self.refusal, into.now)
        into.requests.append(row)
        return None

    def run_alone(self, db: sqlite3.Connection) -> Result:
        _insert_request(db, self.request, self.aggregate_id, self.version, self.refusal)
        return None


@dataclass(frozen=True)
class InTurn:
    """One aggregate's decisions, stored in order up to the first that cannot be."""

    decisions: Sequence[Decision]
    expected_version: int

    def rows(self, into: Rows) -> Result:
        for decision in self.decisions:
            _one(decision).rows(into)
        return len(self.decisions)

    def run_alone(self, db: sqlite3.Connection) -> Result:
        for stored, decision in enumerate(self.decisions):
            if _in_savepoint(db, _one(decision), "decision") is not None:
                return stored
        return len(self.decisions)


@dataclass(frozen=True)
class MarkPublished:
    event_ids: list[str]

    def rows(self, into: Rows) -> Result:
        into.published.extend((event_id,) for event_id in self.event_ids)
        return None

    def run_alone(self, db: sqlite3.Connection) -> Result:
        db.executemany(MARK_PUBLISHED, [(event_id,) for event_id in self.event_ids])
        return None


@dataclass(frozen=True)
class SaveSnapshot:
    snapshot: Snapshot

    def rows(self, into: Rows) -> Result:
        into.snapshots.append(_snapshot_row(self.snapshot))
        return None

    def run_alone(self, db: sqlite3.Connection) -> Result:
        db.execute(SAVE_SNAPSHOT, _snapshot_row(self.snapshot))
        return None


@dataclass(frozen=True)
class Probe:
    """Writes nothing: that its group's transaction could take the write lock is the answer."""

    def rows(self, into: Rows) -> Result:
        return None

    def run_alone(self, db: sqlite3.Connection) -> Result:
        return None


Write = Append | Refuse | InTurn | MarkPublished | SaveSnapshot | Probe


def commit_group(db: sqlite3.Connection, writes: Sequence[Write]) -> list[Result]:
    """Run the writes in one transaction and commit what succeeded; each write's result.
    A failure of the transaction itself (the database locked or unwritable) is raised.

    Most groups have no refused write: they run as one statement per table. A group
    that has one runs again, each write in a savepoint of its own.
    """
    db.execute("BEGIN IMMEDIATE")
    try:
        try:
            results = _run_together(db, writes)
        except sqlite3.IntegrityError:
            db.execute("ROLLBACK")
            db.execute("BEGIN IMMEDIATE")
            results = [_in_savepoint(db, write, "write") for write in writes]
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise
    return results


def _run_together(db: sqlite3.Connection, writes: Sequence[Write]) -> list[Result]:
    """All writes with one statement per table; IntegrityError if any is refused."""
    rows = Rows(stored_time(datetime.now(UTC)))
    results = [write.rows(rows) for write in writes]
    db.executemany(INSERT_REQUEST, rows.requests)
    db.executemany(INSERT_EVENT, rows.events)
    db.executemany(MARK_PUBLISHED, rows.published)
    db.executemany(SAVE_SNAPSHOT, rows.snapshots)
    return results


def _in_savepoint(db: sqlite3.Connection, write: Write, name: str) -> Result:
    db.execute(f"SAVEPOINT {name}")
    try:
        result = write.run_alone(db)
    except (RequestAlreadyDecided, ConcurrencyError) as refused:
        db.execute(f"ROLLBACK TO {name}")
        db.execute(f"RELEASE {name}")
        return refused
    db.execute(f"RELEASE {name}")
    return result


def _one(decision: Decision) -> Append | Refuse:
    if decision.refusal is not None:
        return Refuse(decision.request, decision.aggregate_id, decision.version, decision.refusal)
    if not decision.events:
        raise ValueError("a decision raises events or is a refusal")
    first = decision.events[0].version
    return Append(decision.request, list(decision.events), first - 1)


def _insert_request(
    db: sqlite3.Connection,
    request: Request,
    aggregate_id: str,
    version: int,
    refusal: Refusal | None,
) -> None:
    row = _request_row(request, aggregate_id, version, refusal, stored_time(datetime.now(UTC)))
    try:
        db.execute(INSERT_REQUEST, row)
    except sqlite3.IntegrityError as exc:
        raise RequestAlreadyDecided(request.key) from exc


def _request_row(
    request: Request, aggregate_id: str, version: int, refusal: Refusal | None, now: str
) -> Row:
    kind, message = (refusal.kind, refusal.message) if refusal else (None, None)
    return (request.key, request.fingerprint, aggregate_id, version, kind, message, now)


def event_row(event: StoredEvent) -> Row:
    values = [getattr(event, name) for name in EVENT_COLUMNS]
    values[EVENT_COLUMNS.index("occurred_at")] = stored_time(event.occurred_at)
    return (*values, 0)


def stored_time(moment: datetime) -> str:
    """A UTC moment as the SQL tables keep it on SQLite (SQLAlchemy's format for it)."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def _snapshot_row(snapshot: Snapshot) -> Row:
    return (snapshot.aggregate_id, snapshot.version, snapshot.schema, snapshot.state)
