"""Events as the domain raises them and as the event store keeps them."""

from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime


def utc_now() -> datetime:
    """Now, to the millisecond: the precision every event store (BSON dates too) keeps."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


@dataclass(frozen=True)
class DomainEvent:
    """Base of a domain's events: plain immutable values, named in the past tense."""


@dataclass(frozen=True)
class StoredEvent:
    """One event of one aggregate, serialized, with the metadata the store and bus need.

    `version` is the event's position in its aggregate's stream, starting at 1;
    `request_id` is the id of the client request that caused it. `headers` travel with
    the event on the bus and are not stored (a trace context, for one): two events that
    differ only by them are the same event.
    """

    event_id: str
    aggregate_id: str
    aggregate_type: str
    version: int
    event_type: str
    occurred_at: datetime
    request_id: str
    payload: bytes
    schema_version: int = 1
    headers: tuple[tuple[str, str], ...] = field(default=(), compare=False)


# What an event store keeps of an event: every field but the transport headers.
STORED_FIELDS = tuple(f.name for f in fields(StoredEvent) if f.name != "headers")


def by_aggregate(events: Iterable[StoredEvent]) -> list[list[StoredEvent]]:
    """Each aggregate's events of `events`, in their order, aggregates as first met."""
    streams: dict[str, list[StoredEvent]] = {}
    for event in events:
        streams.setdefault(event.aggregate_id, []).append(event)
    return list(streams.values())
