"""The contract every EventFeed adapter must keep (core.feed). Subclass it and provide
`store`, a store of its own (the feed is every event of the store), and `reopen`, which
opens another store on the same database: what another process sees."""

import asyncio
import random
from collections.abc import Awaitable, Callable

from core.errors import ConcurrencyError
from core.event_store import EventStore
from core.feed import CaughtUp, EventFeed, FeedEntry, FeedHead, follow
from core.requests import Refusal, RequestAlreadyDecided
from tests.contract.event_store_contract import append, event, refuse, request

Open = Callable[[], Awaitable[EventStore]]


def feed_of(store: EventStore) -> EventFeed:
    assert isinstance(store, EventFeed), f"{type(store).__name__} offers no feed"
    return store


async def everything(feed: EventFeed, page: int = 7) -> list[FeedEntry]:
    entries: list[FeedEntry] = []
    while more := await feed.read_after(entries[-1].position if entries else 0, page):
        entries += more
    return entries


def assert_a_feed(entries: list[FeedEntry]) -> None:
    """Positions 1, 2, 3... with no hole, and each stream's versions in order."""
    assert [e.position for e in entries] == list(range(1, len(entries) + 1))
    versions: dict[str, list[int]] = {}
    for entry in entries:
        versions.setdefault(entry.event.aggregate_id, []).append(entry.event.version)
    for aggregate_id, seen in versions.items():
        assert seen == list(range(1, len(seen) + 1)), (aggregate_id, seen)


class EventFeedContract:
    async def test_an_empty_store_has_an_empty_feed(self, store: EventStore) -> None:
        assert await feed_of(store).head() == 0
        assert await feed_of(store).read_after(0, 10) == []

    async def test_every_event_is_in_the_feed_once_in_order(self, store: EventStore) -> None:
        a, b = [event("a", v) for v in (1, 2, 3)], [event("b", v) for v in (1, 2)]
        await append(store, a[:1], 0)
        await append(store, b, 0)
        await append(store, a[1:], 1)
        await refuse(store, request(), "a", 3, Refusal("RuleViolation", "no"))  # no event
        feed = feed_of(store)
        entries = await until_head(feed, 5)
        assert_a_feed(entries)
        assert {e.event.event_id for e in entries} == {e.event_id for e in a + b}
        assert [e.event for e in entries if e.event.aggregate_id == "a"] == a
        assert await feed.read_after(2, 2) == entries[2:4]
        assert await feed.read_after(5, 10) == []

    async def test_a_follower_misses_nothing_while_writers_race(
        self, store: EventStore, reopen: Open
    ) -> None:
        """Writers on two stores (two processes) append to the same streams at once,
        losing races, while a follower on a third follows live from the start."""
        another, follower_store = await reopen(), await reopen()
        head = FeedHead(feed_of(follower_store), every=0.05)
        seen: list[FeedEntry] = []
        stored: set[str] = set()

        async def follower() -> None:
            async for item in follow(feed_of(follower_store), head, 0, page=16):
                if isinstance(item, FeedEntry):
                    seen.append(item)

        async def writer(on: EventStore, n: int) -> None:
            rng = random.Random(n)
            for _ in range(40):
                aggregate_id = f"s{rng.randrange(6)}"
                version = len(await on.load(aggregate_id))
                made = event(aggregate_id, version + 1)
                try:
                    await append(on, [made], version)
                    stored.add(made.event_id)
                except (ConcurrencyError, RequestAlreadyDecided):
                    pass
                await asyncio.sleep(rng.random() / 500)

        following = asyncio.create_task(follower())
        try:
            await asyncio.gather(*(writer(s, n) for n, s in enumerate([store, another] * 4)))
            await wait_until(lambda: len(seen) >= len(stored))
        finally:
            following.cancel()
            await asyncio.gather(following, return_exceptions=True)
            await head.close()
            await follower_store.close()
            await another.close()
        assert_a_feed(seen)
        assert [e.event.event_id for e in seen if e.event.event_id not in stored] == []
        assert len(seen) == len(stored) > 100

    async def test_a_follower_is_told_when_it_has_caught_up(self, store: EventStore) -> None:
        await append(store, [event("a", 1), event("a", 2)], 0)
        await until_head(feed_of(store), 2)
        head = FeedHead(feed_of(store))
        keep_none = [i async for i in follow(feed_of(store), head, 0, lambda _: False, live=False)]
        keep_all = [i async for i in follow(feed_of(store), head, 1, live=False)]
        await head.close()
        assert keep_none == [CaughtUp(2)]
        assert [type(i).__name__ for i in keep_all] == ["FeedEntry", "CaughtUp"]


async def until_head(feed: EventFeed, count: int, seconds: float = 10.0) -> list[FeedEntry]:
    """The whole feed once it holds `count` entries (a sequencer may lag the writes)."""
    entries: list[FeedEntry] = []

    async def enough() -> bool:
        nonlocal entries
        entries = await everything(feed)
        return len(entries) >= count

    await wait_until_async(enough, seconds)
    assert await feed.head() == len(entries)
    return entries


async def wait_until(check: Callable[[], bool], seconds: float = 20.0) -> None:
    async def checked() -> bool:
        return check()

    await wait_until_async(checked, seconds)


async def wait_until_async(check: Callable[[], Awaitable[bool]], seconds: float) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.05)
