"""Retrying read-database transactions that lost a race for a row.

Two writers of one account row (the projector and a restore, or two projector
instances during a rebalance) can meet as a deadlock, a lock timeout or a
duplicate insert. Every write is version-checked, so running the loser again is
safe: it skips what the winner already applied.
"""

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy.exc import IntegrityError, OperationalError

log = logging.getLogger(__name__)
T = TypeVar("T")
ATTEMPTS = 8


async def retry_transient(attempt: Callable[[], Awaitable[T]]) -> T:
    for tries in range(1, ATTEMPTS + 1):
        try:
            return await attempt()
        except (IntegrityError, OperationalError) as exc:
            if tries == ATTEMPTS:
                raise
            log.warning("transaction lost a race (%s); retrying", type(exc.orig).__name__)
            await asyncio.sleep(random.uniform(0.01, 0.05) * tries)
    raise AssertionError("unreachable")
