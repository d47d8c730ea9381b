"""An account's read-model row and movements computed straight from its whole event stream.

The live projection applies events one batch at a time to the stored row; this fold of
the same function over a whole stream is what the restore writes and the checker expects.
"""

from collections.abc import Iterable

from core.events import StoredEvent
from projector.translation import Projected, account_events, projected


def fold(events: Iterable[StoredEvent]) -> Projected:
    """The row and movements after all `events` (in version order); no row and no
    movement for an empty stream, or one that is not an account's."""
    return projected(None, account_events(events))
