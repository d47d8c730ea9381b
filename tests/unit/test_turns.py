"""Turns: work on one key queues; what queued meanwhile is handed over together, in order."""

import asyncio
from collections.abc import Sequence

import pytest

from core.dispatcher import Turns


async def test_what_waits_during_a_turn_is_handed_over_together_in_order() -> None:
    batches: list[list[int]] = []
    started, release = asyncio.Event(), asyncio.Event()

    async def run(key: str, items: list[int]) -> Sequence[int | BaseException]:
        batches.append(items)
        started.set()
        await release.wait()
        return [item * 10 for item in items]

    turns: Turns[int, int] = Turns(run)
    calls = [asyncio.create_task(turns.take("k", 0))]
    await started.wait()  # the first turn is under way
    calls += [asyncio.create_task(turns.take("k", n)) for n in range(1, 5)]
    await asyncio.sleep(0)
    release.set()
    assert await asyncio.gather(*calls) == [0, 10, 20, 30, 40]
    assert batches == [[0], [1, 2, 3, 4]]


async def test_keys_take_turns_independently_and_answers_are_each_callers_own() -> None:
    async def run(key: str, items: list[int]) -> Sequence[int | BaseException]:
        answers: list[int | BaseException] = [ValueError(key) if i < 0 else i for i in items]
        return answers

    turns: Turns[int, int] = Turns(run)
    good, bad = turns.take("a", 1), turns.take("b", -1)
    results = await asyncio.gather(good, bad, return_exceptions=True)
    assert results[0] == 1 and isinstance(results[1], ValueError)


async def test_a_failed_turn_fails_every_caller_in_it_and_the_key_goes_on() -> None:
    fail = True

    async def run(key: str, items: list[int]) -> Sequence[int | BaseException]:
        if fail:
            raise RuntimeError("store down")
        return items

    turns: Turns[int, int] = Turns(run)
    with pytest.raises(RuntimeError):
        await turns.take("k", 1)
    fail = False
    assert await turns.take("k", 2) == 2
