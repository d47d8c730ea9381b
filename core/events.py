"""Events as the domain raises them and as the event store keeps them."""

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class DomainEvent:
    """Base of a domain's events: plain immutable values, named in the past tense."""


@dataclass(frozen=True)
class StoredEvent:
    """One event of one aggregate, serialized, with the metadata the store and bus need.

    `version` is the event's position in its aggregate's stream, starting at 1.
    `request_fingerprint` identifies the content of the command that caused it, so a
    repeated request id can be told from a reused one (empty where nobody asked).
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
    request_fingerprint: str = ""
