"""Retrying read-database transactions that lost a race or found a store down.

Two writers of one account row (the projector and a restore, or two projector
instances during a rebalance) can meet as a deadlock, a lock timeout or a
duplicate insert. Every write is version-checked, so running the loser again is
safe: it skips what the winner already applied. The same holds while the read
database or the event store is down: the projector waits for it to come back.
"""

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy.exc import IntegrityError, OperationalError

from core.errors import Unavailable

log = logging.getLogger(__name__)
T = TypeVar("T")
TRANSIENT = (IntegrityError, OperationalError, Unavailable)
MAX_PAUSE_SECONDS = 2.0


async def retry_transient(attempt: Callable[[], Awaitable[T]], attempts: int | None = 8) -> T:
    """Run `attempt` until it succeeds, pausing longer each time; give up after `attempts`
    (None: never, for a long-running consumer that must outlast an outage)."""
    tries = 0
    while True:
        try:
            return await attempt()
        except TRANSIENT as exc:
            tries += 1
            if attempts is not None and tries >= attempts:
                raise
            pause = min(random.uniform(0.01, 0.05) * 2**tries, MAX_PAUSE_SECONDS)
            log.warning("transaction failed (%s); retry %d in %.2f s", _reason(exc), tries, pause)
            await asyncio.sleep(pause)


def _reason(exc: Exception) -> str:
    origin = getattr(exc, "orig", None)
    return type(origin or exc).__name__
