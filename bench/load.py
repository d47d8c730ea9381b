"""Closed-loop load: each of N clients sends its next call as soon as the last one answers.

Every loop is bounded twice: by a duration and by a number of calls.
"""

import asyncio
import math
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

import grpc

T = TypeVar("T")
Call = Callable[[], Awaitable[object]]
MAX_CALLS_PER_CLIENT = 200_000


@dataclass
class Measured:
    """What a timed phase saw: latencies of the calls that succeeded, and the failures."""

    latencies: list[float] = field(default_factory=list)  # seconds
    errors: Counter[str] = field(default_factory=Counter)  # status code name -> count
    elapsed: float = 0.0  # seconds, from the first call to the last answer

    @property
    def ok(self) -> int:
        return len(self.latencies)

    @property
    def rate(self) -> float:
        """Successful calls per second."""
        return self.ok / self.elapsed if self.elapsed else 0.0

    def percentile_ms(self, p: float) -> float:
        """Nearest-rank percentile of the successful calls' latencies, in milliseconds."""
        ordered = sorted(self.latencies)
        if not ordered:
            return float("nan")
        rank = max(1, math.ceil(p / 100 * len(ordered)))
        return ordered[min(rank, len(ordered)) - 1] * 1000

    def error_summary(self) -> str:
        if not self.errors:
            return "0"
        codes = ", ".join(f"{code} {n}" for code, n in self.errors.most_common())
        return f"{sum(self.errors.values())} ({codes})"


async def timed(call: Callable[[], Awaitable[T]], into: Measured) -> T | None:
    """Run one call, recording its latency or its failure; its result, or None if it failed."""
    started = time.perf_counter()
    try:
        result = await call()
    except grpc.aio.AioRpcError as error:
        into.errors[error.code().name] += 1
        return None
    into.latencies.append(time.perf_counter() - started)
    return result


async def closed_loop(
    make_call: Callable[[int], Call], clients: int, seconds: float, total: int | None = None
) -> Measured:
    """Run `clients` concurrent loops for `seconds`, or until `total` calls have started;
    make_call(client) gives each next call."""
    measured = Measured()
    started = time.perf_counter()
    deadline = started + seconds
    calls = 0

    async def client(number: int) -> None:
        nonlocal calls
        for _ in range(MAX_CALLS_PER_CLIENT):
            if time.perf_counter() >= deadline or (total is not None and calls >= total):
                return
            calls += 1
            await timed(make_call(number), measured)

    await asyncio.gather(*(client(n) for n in range(clients)))
    measured.elapsed = time.perf_counter() - started
    return measured


async def bounded_gather(calls: list[Callable[[], Awaitable[T]]], concurrency: int) -> list[T]:
    """Run every call, at most `concurrency` at a time; their results in order."""
    gate = asyncio.Semaphore(concurrency)

    async def one(call: Callable[[], Awaitable[T]]) -> T:
        async with gate:
            return await call()

    return list(await asyncio.gather(*(one(c) for c in calls)))
