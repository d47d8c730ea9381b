"""Recognizing a repeated request: same request id, same content, one effect."""

import dataclasses
import hashlib
from typing import Any

from core.errors import InvalidInput
from core.event_store import EventStore
from core.events import StoredEvent


def fingerprint(command: Any) -> str:
    """A digest of a command dataclass's type and fields, less its request id."""
    fields = dataclasses.asdict(command)
    fields.pop("request_id", None)
    content = repr((type(command).__name__, sorted(fields.items())))
    return hashlib.sha256(content.encode()).hexdigest()


async def earlier_events(store: EventStore, request_id: str, digest: str) -> list[StoredEvent]:
    """The events an earlier request with this id caused (empty if none).

    Raises InvalidInput when that request asked for something else: the id was reused.
    """
    events = await store.find_by_request(request_id)
    if events and events[0].request_fingerprint != digest:
        raise InvalidInput(f"request_id {request_id!r} was already used for a different command")
    return events
