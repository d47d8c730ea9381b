"""An account's read-model row computed straight from its whole event stream.

The live projection applies events one at a time to the stored row; this fold of the
same function over a whole stream is what the restore writes and the checker expects.
"""

from collections.abc import Iterable

from core.events import StoredEvent
from projector.translation import Row, rows_after


def fold(events: Iterable[StoredEvent]) -> Row | None:
    """The row after all `events` (in version order); None for an empty stream."""
    return rows_after(None, events)
