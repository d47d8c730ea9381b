"""The SQLite event store's writes, and the group commit that runs them on its writer thread.

Everything here runs on that thread, with its own connection: a whole group is one
transaction and one hop from the event loop.
"""

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from adapters.event_tables import EVENT_COLUMNS
from core.errors import ConcurrencyError
from core.events import StoredEvent
from core.requests import Refusal, Request, RequestAlreadyDecided

INSERT_EVENT = (
    f"INSERT INTO events ({', '.join(EVENT_COLUMNS)}, published) "
    f"VALUES ({', '.join('?' * (len(EVENT_COLUMNS) + 1))})"
)
INSERT_REQUEST = (
    "INSERT INTO requests (request_key, fingerprint, aggregate_id, version, refusal_kind, "
    "refusal_message, decided_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
)
MARK_PUBLISHED = "UPDATE events SET published = 1 WHERE event_id = ?"


@dataclass(frozen=True)
class Append:
    request: Request
    events: list[StoredEvent]
    expected_version: int

    def run(self, db: sqlite3.Connection) -> None:
        last = self.events[-1]
        _insert_request(db, self.request, last.aggregate_id, last.version, None)
        try:
            db.executemany(INSERT_EVENT, [_event_row(e) for e in self.events])
        except sqlite3.IntegrityError as exc:
            raise ConcurrencyError(
                f"{last.aggregate_id} is no longer at version {self.expected_version}"
            ) from exc


@dataclass(frozen=True)
class Refuse:
    request: Request
    aggregate_id: str
    version: int
    refusal: Refusal

    def run(self, db: sqlite3.Connection) -> None:
        _insert_request(db, self.request, self.aggregate_id, self.version, self.refusal)


@dataclass(frozen=True)
class MarkPublished:
    event_ids: list[str]

    def run(self, db: sqlite3.Connection) -> None:
        db.executemany(MARK_PUBLISHED, [(event_id,) for event_id in self.event_ids])


Write = Append | Refuse | MarkPublished
Refused = RequestAlreadyDecided | ConcurrencyError


def commit_group(db: sqlite3.Connection, writes: Sequence[Write]) -> list[Exception | None]:
    """Run the writes in one transaction, each in a savepoint of its own; commit what
    succeeded. Per write: None, or why it was refused (and undone). A failure of the
    transaction itself (the database locked or unwritable) is raised for all."""
    db.execute("BEGIN IMMEDIATE")
    try:
        refusals = [_run_alone(db, write) for write in writes]
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise
    return refusals


def _run_alone(db: sqlite3.Connection, write: Write) -> Exception | None:
    db.execute("SAVEPOINT one_write")
    try:
        write.run(db)
    except (RequestAlreadyDecided, ConcurrencyError) as refused:
        db.execute("ROLLBACK TO one_write")
        db.execute("RELEASE one_write")
        return refused
    db.execute("RELEASE one_write")
    return None


def _insert_request(
    db: sqlite3.Connection,
    request: Request,
    aggregate_id: str,
    version: int,
    refusal: Refusal | None,
) -> None:
    row = (
        request.key,
        request.fingerprint,
        aggregate_id,
        version,
        refusal.kind if refusal else None,
        refusal.message if refusal else None,
        stored_time(datetime.now(UTC)),
    )
    try:
        db.execute(INSERT_REQUEST, row)
    except sqlite3.IntegrityError as exc:
        raise RequestAlreadyDecided(request.key) from exc


def _event_row(event: StoredEvent) -> tuple[object, ...]:
    values = [getattr(event, name) for name in EVENT_COLUMNS]
    values[EVENT_COLUMNS.index("occurred_at")] = stored_time(event.occurred_at)
    return (*values, 0)


def stored_time(moment: datetime) -> str:
    """A UTC moment as the SQL tables keep it on SQLite (SQLAlchemy's format for it)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
