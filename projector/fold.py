"""An account's read-model row computed straight from its whole event stream.

The live projection changes rows incrementally; this pure fold is the reference
the restore writes and the checker compares against.
"""

from collections.abc import Iterable
from typing import Any

from core.events import StoredEvent
from projector.translation import NewRow, change_of

Row = dict[str, Any]


def fold(events: Iterable[StoredEvent]) -> Row | None:
    """The row after all `events` (in version order); None for an empty stream."""
    row: Row | None = None
    for event in events:
        change = change_of(event)
        if isinstance(change, NewRow):
            row = dict(change.values)
            continue
        if row is None:
            raise ValueError(f"{event.aggregate_id} has {event.event_type} before it was opened")
        row["balance_cents"] += change.balance_delta
        row["status"] = change.status or row["status"]
        row["version"] = event.version
    return row
