"""core.feed's follower and head over a feed in memory: what it yields, when it wakes,
and that it never spins on a head that ran ahead of what can be read."""

import asyncio
from collections.abc import AsyncIterator

from core.feed import CaughtUp, EventFeed, FeedEntry, FeedHead, follow
from tests.contract.event_store_contract import event


async def next_of(items: AsyncIterator[FeedEntry | CaughtUp]) -> FeedEntry | CaughtUp:
    return await anext(items)


async def drain(items: AsyncIterator[FeedEntry | CaughtUp]) -> None:
    async for _ in items:
        pass


class ListFeed(EventFeed):
    def __init__(self) -> None:
        self.entries: list[FeedEntry] = []
        self.reads = 0
        self.claimed_head: int | None = None  # a head the store claims, readable or not

    def add(self, aggregate_id: str, version: int) -> None:
        position = len(self.entries) + 1
        self.entries.append(FeedEntry(position, event(aggregate_id, version)))

    async def read_after(self, position: int, limit: int) -> list[FeedEntry]:
        self.reads += 1
        return self.entries[position : position + limit]

    async def head(self) -> int:
        return self.claimed_head if self.claimed_head is not None else len(self.entries)


async def test_a_follower_reads_to_the_end_says_so_and_gets_what_comes_after() -> None:
    feed = ListFeed()
    for version in (1, 2, 3):
        feed.add("a", version)
    head = FeedHead(feed, every=10.0)  # only nudges wake it here
    items = follow(feed, head, 1, page=1)
    assert [await anext(items) for _ in range(3)] == [*feed.entries[1:], CaughtUp(3)]
    waiting = asyncio.create_task(next_of(items))
    await asyncio.sleep(0.01)
    assert not waiting.done()
    feed.add("b", 1)
    head.nudge()
    assert await asyncio.wait_for(waiting, 1.0) == feed.entries[3]
    await head.close()


async def test_what_a_filter_leaves_out_is_still_told_by_a_caught_up() -> None:
    feed = ListFeed()
    feed.add("a", 1)
    feed.add("b", 1)
    head = FeedHead(feed)
    kept = [i async for i in follow(feed, head, 0, lambda e: e.aggregate_id == "a", live=False)]
    assert kept == [feed.entries[0], CaughtUp(2)]
    await head.close()


async def test_a_head_ahead_of_what_can_be_read_is_looked_at_again_not_spun_on() -> None:
    feed = ListFeed()
    feed.add("a", 1)
    feed.claimed_head = 5  # a store whose head moved on before its entries are readable
    head = FeedHead(feed, every=0.05)
    following = asyncio.create_task(drain(follow(feed, head, 1)))  # from the last on
    await asyncio.sleep(0.3)
    following.cancel()
    await asyncio.gather(following, return_exceptions=True)
    await head.close()
    assert 2 <= feed.reads <= 10, feed.reads  # about one read per look, not thousands


async def test_a_follower_that_goes_away_leaves_the_head_looking_at_nothing() -> None:
    feed = ListFeed()
    head = FeedHead(feed, every=0.01)
    following = asyncio.create_task(head.beyond(0))
    await asyncio.sleep(0.05)
    following.cancel()
    await asyncio.gather(following, return_exceptions=True)
    await asyncio.sleep(0.05)
    assert head._looking is None
