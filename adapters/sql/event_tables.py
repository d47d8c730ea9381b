"""The event store's tables, shared by the SQL adapters (SQLAlchemy and plain SQLite).

`events` holds every event; a unique (aggregate_id, version) is the optimistic
concurrency check. `requests` holds each request's outcome under its key, the primary
key that keeps a request decided once. `snapshots` holds each aggregate's latest
snapshot (core.aggregate), a cache of the fold of its events. `parked_events` holds
what each consumer of the bus set aside (core.parking), one row per consumer and event.
"""

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from adapters.settings import EarlierStoreLayout
from adapters.sql.engine import UtcDateTime
from core.events import STORED_FIELDS, StoredEvent
from core.requests import MAX_KEY_LENGTH, Outcome, Refusal, Request

metadata = sa.MetaData()
events = sa.Table(
    "events",
    metadata,
    sa.Column("position", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("event_id", sa.String(36), nullable=False, unique=True),
    sa.Column("aggregate_id", sa.String(64), nullable=False),
    sa.Column("aggregate_type", sa.String(64), nullable=False),
    sa.Column("version", sa.BigInteger, nullable=False),
    sa.Column("event_type", sa.String(64), nullable=False),
    sa.Column("schema_version", sa.Integer, nullable=False),
    sa.Column("occurred_at", UtcDateTime(), nullable=False),
    sa.Column("request_id", sa.String(128), nullable=False),
    sa.Column("payload", sa.LargeBinary, nullable=False),
    # The outbox flag: appended False, set once the bus has the event.
    sa.Column("published", sa.Boolean, nullable=False, default=False),
    sa.UniqueConstraint("aggregate_id", "version", name="uq_events_aggregate_version"),
    sa.Index("ix_events_unpublished", "published", "occurred_at"),
)
requests = sa.Table(
    "requests",
    metadata,
    sa.Column("request_key", sa.String(MAX_KEY_LENGTH), primary_key=True),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("aggregate_id", sa.String(64), nullable=False),
    sa.Column("version", sa.BigInteger, nullable=False),
    sa.Column("refusal_kind", sa.String(32), nullable=True),
    sa.Column("refusal_message", sa.Text, nullable=True),
    sa.Column("decided_at", UtcDateTime(), nullable=False),
)
snapshots = sa.Table(
    "snapshots",
    metadata,
    sa.Column("aggregate_id", sa.String(64), primary_key=True),
    sa.Column("version", sa.BigInteger, nullable=False),
    sa.Column("schema", sa.String(64), nullable=False),
    sa.Column("state", sa.LargeBinary, nullable=False),
)
parked_events = sa.Table(
    "parked_events",
    metadata,
    sa.Column("consumer", sa.String(64), primary_key=True),
    sa.Column("event_id", sa.String(36), primary_key=True),
    sa.Column("aggregate_id", sa.String(64), nullable=False),
    sa.Column("aggregate_type", sa.String(64), nullable=False),
    sa.Column("version", sa.BigInteger, nullable=False),
    sa.Column("event_type", sa.String(64), nullable=False),
    sa.Column("error", sa.Text, nullable=False),
    sa.Column("parked_at", UtcDateTime(), nullable=False),
    sa.Column("retry_asked", sa.Boolean, nullable=False, default=False),
    sa.Index("ix_parked_events_order", "consumer", "aggregate_id", "version"),
)
EVENT_COLUMNS = [c.name for c in events.columns if c.name not in ("position", "published")]


def refuse_earlier_layout(conn: sa.Connection) -> None:
    """Refuse a store written before requests had their own table (events then carried a
    request_fingerprint column): appending to it would fail on every command."""
    inspector = sa.inspect(conn)
    if not inspector.has_table("events"):
        return
    if "request_fingerprint" in {c["name"] for c in inspector.get_columns("events")}:
        raise EarlierStoreLayout(
            "this event store was written by an earlier Techbank, before requests had their "
            "own table; start with an empty store (move data/ aside for the embedded default)"
        )


def request_row(
    request: Request, aggregate_id: str, version: int, refusal: Refusal | None = None
) -> dict[str, object]:
    return {
        "request_key": request.key,
        "fingerprint": request.fingerprint,
        "aggregate_id": aggregate_id,
        "version": version,
        "refusal_kind": refusal.kind if refusal else None,
        "refusal_message": refusal.message if refusal else None,
        "decided_at": datetime.now(UTC),
    }


def outcome_of(row: Any) -> Outcome:
    refusal = None
    if row["refusal_kind"] is not None:
        refusal = Refusal(row["refusal_kind"], row["refusal_message"])
    return Outcome(row["fingerprint"], row["aggregate_id"], int(row["version"]), refusal)


def event_row(event: StoredEvent) -> dict[str, object]:
    return {**{name: getattr(event, name) for name in STORED_FIELDS}, "published": False}


def event_of(row: Any) -> StoredEvent:
    """A stored event from a row of the events table (a mapping with at least EVENT_COLUMNS)."""
    return StoredEvent(**{name: row[name] for name in EVENT_COLUMNS})
