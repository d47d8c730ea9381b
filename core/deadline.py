"""The deadline of the request being served, for code far from the transport to respect,
and retrying within it a load-decide-save cycle that lost an optimistic-concurrency race.
"""

import asyncio
import random
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar

from core.errors import ConcurrencyError

DEFAULT_SECONDS = 10.0

_deadline: ContextVar[float | None] = ContextVar("request_deadline", default=None)


@contextmanager
def request_deadline(seconds: float | None) -> Iterator[None]:
    """Set the current request's deadline, `seconds` from now (None: DEFAULT_SECONDS)."""
    token = _deadline.set(time.monotonic() + (DEFAULT_SECONDS if seconds is None else seconds))
    try:
        yield
    finally:
        _deadline.reset(token)


def seconds_left() -> float:
    """Seconds until the current request's deadline; DEFAULT_SECONDS outside a request."""
    deadline = _deadline.get()
    return DEFAULT_SECONDS if deadline is None else deadline - time.monotonic()


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
