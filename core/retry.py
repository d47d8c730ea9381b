"""Retrying a load-decide-save cycle that lost an optimistic-concurrency race."""

import asyncio
import random
from collections.abc import Awaitable, Callable
from typing import TypeVar

from core.deadline import seconds_left
from core.errors import ConcurrencyError

T = TypeVar("T")
MAX_PAUSE_SECONDS = 0.05


async def retry_on_conflict(attempt: Callable[[], Awaitable[T]]) -> T:
    """Run `attempt` again, after a short random pause, each time it raises ConcurrencyError,
    for as long as the current request's deadline allows; then let the conflict through.

    Safe only when each attempt reloads the aggregate and decides afresh.
    """
    tries = 0
    while True:
        try:
            return await attempt()
        except ConcurrencyError:
            tries += 1
            pause = random.uniform(0, min(0.002 * tries, MAX_PAUSE_SECONDS))
            if seconds_left() <= pause:
                raise
            await asyncio.sleep(pause)
