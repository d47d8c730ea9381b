"""Events as the domain raises them and as the event store keeps them."""

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class DomainEvent:
    """Base of a domain's events: plain immutable values, named in the past tense."""


@dataclass(frozen=True)
class StoredEvent:
    """One event of one aggregate, serialized, with the metadata the store and bus need.

    `version` is the event's position in its aggregate's stream, starting at 1;
    `request_id` is the id of the client request that caused it.
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
