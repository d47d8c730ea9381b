"""The event feed: every stored event of every aggregate in one order, its position, read
from a position on and then followed as new events are stored.

The gap problem. A reader that asks for "the events after position p" must never be
shown position p + 2 while p + 1 is still to come: it would move past p + 1 and miss it
for good. Positions handed out when a write begins (a database sequence, an auto
increment) commit out of order under concurrent writers, and show exactly that. So an
adapter makes a position readable only once every position before it is:

- where writes are serialized (SQLite: one writer holds the file's lock), a position
  given inside the write's transaction commits in order;
- elsewhere (MongoDB, which has no multi-document transaction here), positions are
  given after the events are stored, by a sequencer that writes position n only once
  it has seen n - 1 stored, under a unique key on the position (adapters.mongo.feed).

Readers then need no gap detection and no timeouts: what they read is always a prefix
of the feed. Followers wait on one FeedHead per process instead of each asking the store.
"""

import asyncio
import contextlib
import logging
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from core.events import StoredEvent

log = logging.getLogger(__name__)
PAGE = 256  # entries read at once: what one follower holds in memory at most
HEAD_LOOK_SECONDS = 0.2  # how often a process looks for positions others stored


@dataclass(frozen=True)
class FeedEntry:
    """One event at its place in the feed; positions start at 1 and only grow."""

    position: int
    event: StoredEvent


class EventFeed(ABC):
    """The store's events in feed order (see the module's docstring for the promise)."""

    @abstractmethod
    async def read_after(self, position: int, limit: int) -> list[FeedEntry]:
        """Up to `limit` entries after `position`, in position order. Never one whose
        earlier positions are not all readable too."""

    @abstractmethod
    async def head(self) -> int:
        """The last position readable now; 0 while the feed is empty."""

    def notify(self, listener: Callable[[], None]) -> None:
        """Call `listener` whenever this process has made new positions readable. This
        default never calls it: followers then learn of them at the head's next look."""


@dataclass(frozen=True)
class CaughtUp:
    """Everything up to `position` was read: a follower that filters can resume after it."""

    position: int


class FeedHead:
    """The feed's head as this process last saw it, looked at every `every` seconds
    while anyone waits, and at once when `nudge`d (this process stored something)."""

    def __init__(self, feed: EventFeed, every: float = HEAD_LOOK_SECONDS) -> None:
        self._feed, self._every = feed, every
        self._seen = 0
        self._looks = 0
        self._moved = asyncio.Condition()
        self._nudged = asyncio.Event()
        self._looking: asyncio.Task[None] | None = None
        self._waiting = 0

    def nudge(self) -> None:
        self._nudged.set()

    async def beyond(self, position: int, fresh: bool = False) -> int:
        """Wait until the head is past `position`, as last seen or, if `fresh`, as seen by
        a look taken from now on; the head then."""
        if not fresh and self._seen > position:
            return self._seen
        self._waiting += 1
        try:
            if self._looking is None:
                self._looking = asyncio.create_task(self._look_while_waited_on())
            looks = self._looks
            async with self._moved:
                await self._moved.wait_for(
                    lambda: self._seen > position and (not fresh or self._looks > looks)
                )
                return self._seen
        finally:
            self._waiting -= 1

    async def close(self) -> None:
        if self._looking is not None:
            self._looking.cancel()
            await asyncio.gather(self._looking, return_exceptions=True)

    async def _look_while_waited_on(self) -> None:
        try:
            while self._waiting:
                self._nudged.clear()  # before the look: a nudge during it is not lost
                await self._look()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._nudged.wait(), self._every)
        finally:
            self._looking = None

    async def _look(self) -> None:
        try:
            head = await self._feed.head()
        except Exception as exc:  # the store away: followers wait, the next look retries
            log.warning("the event feed's head could not be read: %r", exc)
            return
        async with self._moved:
            self._seen, self._looks = head, self._looks + 1
            self._moved.notify_all()


Keep = Callable[[StoredEvent], bool]


async def follow(
    feed: EventFeed,
    head: FeedHead,
    after: int,
    keep: Keep = lambda _: True,
    *,
    live: bool = True,
    page: int = PAGE,
) -> AsyncIterator[FeedEntry | CaughtUp]:
    """Each entry after `after` that `keep`s, in position order, then, if `live`, each
    one stored later, as it comes. A CaughtUp when the reader first reaches the head, and
    when it reaches it again past entries it did not keep. One page is held at a time: a
    slow reader slows its own reads, and holds nothing more."""
    position, first, skipped = after, True, False
    while True:
        entries = await feed.read_after(position, page)
        for entry in entries:
            position = entry.position
            skipped = not keep(entry.event)
            if not skipped:
                yield entry
        if len(entries) == page:
            continue
        if first or skipped:  # else the last entry told the reader where it is
            first = skipped = False
            yield CaughtUp(position)
        if not live:
            return
        await head.beyond(position, fresh=not entries)  # fresh: no spin on a stale head
