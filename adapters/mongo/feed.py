"""The event feed on MongoDB (core.feed): positions given after the events are stored.

MongoDB has no sequence, and FerretDB no multi-document transaction, so an event cannot
get a position that commits with it. Instead each event is stored with feed: "pending"
and a sequencer (one in each process that writes or follows) copies pending events
into the feed collection, `<events>_feed`, one document per position (`_id`):

- it writes position n only after seeing n - 1 stored (the head, found below) or
  storing it itself, in an ordered insert: the positions stored are always 1..head,
  with no hole, so a reader shown position n has every earlier one readable too;
- `_id` is unique, so of two sequencers writing position n, one fails and looks for
  the head again; `event_id` is unique too, so an event is never positioned twice
  (a sequencer stopped between the copy and clearing "pending" copies nothing again);
- pending events are taken in (aggregate, version) order, and an event is stored only
  after its stream's previous one: each stream's events keep their order in the feed.

A position is found by `_id` equality and a page of the feed by `page` equality: what
FerretDB 1.24 hands to its backend's indexes (see adapters.mongo.segments for why).
"""

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from typing import Any

from bson import Binary
from pymongo.asynchronous.collection import AsyncCollection

from adapters.mongo.errors import outages_unavailable
from adapters.mongo.inserts import DUPLICATE_KEY, InsertStopped, insert_in_order
from core.events import STORED_FIELDS, StoredEvent
from core.feed import FeedEntry

log = logging.getLogger(__name__)
Document = dict[str, Any]
FEED, PENDING = "feed", "pending"
PAGE_SIZE = 128
BATCH = 512
SWEEP_SECONDS = 1.0  # how often to look for what a stopped process left pending


def feed_of(events: AsyncCollection[Document]) -> AsyncCollection[Document]:
    return events.database[f"{events.name}_feed"]


async def create_feed_indexes(feed: AsyncCollection[Document]) -> None:
    await feed.create_index("event_id", unique=True, name="feed_event_unique")
    await feed.create_index("page", name="feed_page")


class MongoFeed:
    """Positions the pending events of `events` (the sequencer) and reads the feed."""

    def __init__(self, events: AsyncCollection[Document]) -> None:
        self._events, self._feed = events, feed_of(events)
        self._hint = 0  # a position known to exist (or 0): where looking for the head starts
        self._wake = asyncio.Event()
        self._positioning = asyncio.Lock()
        self._running: asyncio.Task[None] | None = None
        self._listeners: list[Callable[[], None]] = []

    def notify(self, listener: Callable[[], None]) -> None:
        self._listeners.append(listener)

    def wake(self) -> None:
        """Events were stored: position them now."""
        self._wake.set()
        self._start()

    def _start(self) -> None:
        """Position what is pending from now on, every SWEEP_SECONDS and when woken."""
        if self._running is None:
            self._running = asyncio.create_task(self._sequence_forever())

    async def close(self) -> None:
        if self._running is not None:
            self._running.cancel()
            await asyncio.gather(self._running, return_exceptions=True)

    async def head(self) -> int:
        """The last position stored: the positions stored are 1..head (see above), so a
        gallop from the hint, then halving, finds it in a few lookups by `_id`."""
        self._start()  # someone follows: keep positions coming, even with no writes here
        low = self._hint if self._hint and await self._exists(self._hint) else 0
        step = 1
        while await self._exists(low + step):
            low, step = low + step, step * 2
        high = low + step  # low exists (or is 0), high does not
        while high - low > 1:
            middle = (low + high) // 2
            low, high = (middle, high) if await self._exists(middle) else (low, middle)
        self._hint = low
        return low

    async def read_after(self, position: int, limit: int) -> list[FeedEntry]:
        """The feed after `position`; at its end, once what is pending is positioned: an
        event stored before the read reached the end is in what it returns."""
        entries = await self._read_after(position, limit)
        if len(entries) < limit:  # positioned here, or by another process meanwhile
            await self.position_pending()
            last = entries[-1].position if entries else position
            entries += await self._read_after(last, limit - len(entries))
        return entries

    async def _read_after(self, position: int, limit: int) -> list[FeedEntry]:
        entries: list[FeedEntry] = []
        while len(entries) < limit:
            after = entries[-1].position if entries else position
            page = await self._page((after + 1) // PAGE_SIZE)
            run = _contiguous([doc for doc in page if doc["_id"] > after], after + 1)
            entries += [FeedEntry(doc["_id"], _event(doc)) for doc in run[: limit - len(entries)]]
            if not run or run[-1]["_id"] % PAGE_SIZE != PAGE_SIZE - 1:
                break  # the page ends before the head
        return entries

    async def position_pending(self) -> int:
        """Give each pending event its position; how many were given."""
        given = 0
        async with self._positioning:  # one at a time here; other processes may race
            while pending := await self._pending():
                given += await self._position(pending)
        return given

    async def _position(self, pending: list[Document]) -> int:
        given = 0
        while pending:
            start = await self.head() + 1
            done, pending = await self._insert_from(start, pending)
            given += len(done)
            if done:
                with outages_unavailable():
                    ids = [doc["_id"] for doc in done]
                    await self._events.update_many(
                        {FEED: PENDING, "_id": {"$in": ids}}, {"$unset": {FEED: ""}}
                    )
        for listener in self._listeners:
            listener()
        return given

    async def _insert_from(
        self, start: int, pending: list[Document]
    ) -> tuple[list[Document], list[Document]]:
        """Insert `pending` at positions from `start`: the events now in the feed, and those
        still to position (a sequencer elsewhere took a position first)."""
        copies = [_copy(start + i, doc) for i, doc in enumerate(pending)]
        try:
            await insert_in_order(self._feed, copies)
        except InsertStopped as stop:
            if stop.code != DUPLICATE_KEY:
                raise
            stored = stop.inserted
            self._hint = start + stored - 1 if stored else self._hint
            taken = await self._at(start + stored)
            failed = pending[stored]
            if taken is None or taken["event_id"] == failed["event_id"]:
                # Positioned already (here or elsewhere): it counts as done.
                return pending[: stored + 1], pending[stored + 1 :]
            return pending[:stored], pending[stored:]
        self._hint = start + len(pending) - 1
        return pending, []

    async def _sequence_forever(self) -> None:
        while True:
            self._wake.clear()
            try:
                await self.position_pending()
            except Exception as exc:  # the store away: the next round tries again
                log.warning("the event feed could not position events: %r", exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), SWEEP_SECONDS)

    async def _pending(self) -> list[Document]:
        with outages_unavailable():
            cursor = self._events.find({FEED: PENDING})
            cursor = cursor.sort([("aggregate_id", 1), ("version", 1)]).limit(BATCH)
            return [doc async for doc in cursor]

    async def _page(self, number: int) -> list[Document]:
        with outages_unavailable():
            return [doc async for doc in self._feed.find({"page": number})]

    async def _exists(self, position: int) -> bool:
        return await self._at(position, {"_id": 1}) is not None

    async def _at(self, position: int, fields: Document | None = None) -> Document | None:
        with outages_unavailable():
            found: Document | None = await self._feed.find_one({"_id": position}, fields)
            return found


def _copy(position: int, doc: Document) -> Document:
    return {
        "_id": position,
        "page": position // PAGE_SIZE,
        **{name: doc[name] for name in STORED_FIELDS if name in doc},
    }


def _contiguous(docs: Sequence[Document], first: int) -> list[Document]:
    """`docs` in position order from `first`, up to the first missing position."""
    run: list[Document] = []
    for doc in sorted(docs, key=lambda d: int(d["_id"])):
        if doc["_id"] != first + len(run):
            break
        run.append(doc)
    return run


def _event(doc: Document) -> StoredEvent:
    fields = {name: doc[name] for name in STORED_FIELDS if name != "payload"}
    payload = doc["payload"]
    return StoredEvent(**fields, payload=bytes(payload) if isinstance(payload, Binary) else payload)
