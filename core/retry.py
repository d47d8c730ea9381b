"""Retrying a load-decide-save cycle that lost an optimistic-concurrency race."""

import asyncio
import random
from collections.abc import Awaitable, Callable
from typing import TypeVar

from core.errors import ConcurrencyError

T = TypeVar("T")


async def retry_on_conflict(
    attempt: Callable[[], Awaitable[T]], max_attempts: int = 50, base_delay: float = 0.002
) -> T:
    """Run `attempt` again, with jittered back-off, each time it raises ConcurrencyError.

    Safe only when each attempt reloads the aggregate and decides afresh.
    """
    for tries in range(1, max_attempts + 1):
        try:
            return await attempt()
        except ConcurrencyError:
            if tries == max_attempts:
                raise
            await asyncio.sleep(random.uniform(0, base_delay * min(tries, 20)))
    raise AssertionError("unreachable")
