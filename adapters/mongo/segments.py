"""Loading the end of a long stream without reading all of it, on FerretDB too.

`{aggregate_id, version: {$gt: v}}` is answered from the (aggregate_id, version) index
on MongoDB, but FerretDB 1.24 pushes only top-level equalities down to its backend and
filters the rest itself: after a snapshot at version 100,000 it would still read and
decode every event of the stream. So each event also carries its segment,
"<aggregate id>/<version // SEGMENT_SIZE>", which an equality finds (FerretDB's index
on it gets a GIN twin, infra/lib/gin_mirrors.sql): a load after version v asks for v's
segment and each one after it, until one is not full.

Only a collection whose every event carries the field can be read that way: a mark in
the snapshots collection, set when the collection is first used while empty, says so.
A collection written before segments existed is read with `$gt`, as it always was.
Upgrading a marked collection's writers means replacing them all at once: an older
command server's events carry no segment, and a load after a snapshot would not see
them (its append would then conflict, so nothing wrong is stored, but the account's
commands fail until the older server is gone).
"""

import contextlib
import logging
from collections.abc import Awaitable, Callable

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from core.events import StoredEvent

log = logging.getLogger(__name__)
SEGMENT_SIZE = 100
SEGMENT = "segment"
MARK = {"_id": "#layout", "segments": SEGMENT_SIZE}
Find = Callable[[dict[str, object]], Awaitable[list[StoredEvent]]]


def segment_of(aggregate_id: str, version: int) -> str:
    """The segment an event of this version belongs to."""
    return _segment(aggregate_id, version // SEGMENT_SIZE)


def _segment(aggregate_id: str, number: int) -> str:
    return f"{aggregate_id}/{number}"


async def all_segmented(
    events: AsyncCollection[dict[str, object]], marks: AsyncCollection[dict[str, object]]
) -> bool:
    """Whether every event of `events` carries its segment; marks a collection still empty."""
    if await marks.find_one({"_id": MARK["_id"]}) is not None:
        return True
    if await events.find_one({}, {"_id": 1}) is not None:
        log.warning(
            "%s holds events from before stream segments: a load after a snapshot reads "
            "the whole stream",
            events.full_name,
        )
        return False
    with contextlib.suppress(DuplicateKeyError):  # another process marked it first
        await marks.insert_one(dict(MARK))
    return True


async def load_after(find: Find, aggregate_id: str, after_version: int) -> list[StoredEvent]:
    """The stream's events above `after_version` (at least SEGMENT_SIZE: segment 0 holds
    one version fewer), in order, one segment at a time."""
    loaded: list[StoredEvent] = []
    segment = after_version // SEGMENT_SIZE
    while True:
        found = await find({SEGMENT: _segment(aggregate_id, segment)})
        loaded.extend(e for e in found if e.version > after_version)
        if len(found) < SEGMENT_SIZE:  # the stream's last segment
            return loaded
        segment += 1
