"""`python -m projector.check`: compare the read database with the fold of the event store.

Prints every account whose row differs from the fold of its events, and every row
the store does not know, then exits 1 if there was any. On a busy system the
projector may simply be behind: --settle-seconds re-checks until then.
"""

import argparse
import asyncio
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

from adapters.settings import Settings, configure_logging
from core.event_store import EventStore
from projector.bootstrap import Projector, build_projector
from projector.fold import fold
from projector.read_model import ReadModel
from projector.translation import Row

OnProgress = Callable[[int], None]  # accounts compared so far


@dataclass(frozen=True)
class Difference:
    account_id: str
    expected: Row | None
    actual: Row | None


async def differences(
    read_model: ReadModel, store: EventStore, on_progress: OnProgress | None = None
) -> list[Difference]:
    """Every account whose read-model row is not the fold of its stored events;
    `on_progress` is told how many accounts were compared after each one."""
    rows = {row["account_id"]: row async for row in read_model.rows()}
    found = []
    compared = 0
    async for account_id in store.aggregate_ids():
        expected = fold(await store.load(account_id))
        actual = rows.pop(account_id, None)
        if expected != actual:
            found.append(Difference(account_id, expected, actual))
        compared += 1
        if on_progress is not None:
            on_progress(compared)
    found.extend(Difference(account_id, None, row) for account_id, row in rows.items())
    return found


async def check(
    projector: Projector, settle_seconds: float, on_progress: OnProgress | None = None
) -> list[Difference]:
    """The differences, looked for again until none is left or `settle_seconds` passed."""
    deadline = time.monotonic() + settle_seconds
    found = await differences(projector.read_model, projector.store, on_progress)
    while found and time.monotonic() < deadline:
        await asyncio.sleep(0.5)
        found = await differences(projector.read_model, projector.store, on_progress)
    return found


async def check_stores(settings: Settings, settle_seconds: float) -> list[Difference]:
    async with build_projector(settings, prepare=False) as projector:  # only looks
        return await check(projector, settle_seconds)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--settle-seconds", type=float, default=0.0)
    args = parser.parse_args()
    settings = Settings()
    configure_logging(settings)
    found = asyncio.run(check_stores(settings, args.settle_seconds))
    for diff in found:
        print(f"{diff.account_id}: expected {diff.expected}, read model has {diff.actual}")
    print(f"check: {len(found)} account(s) differ from the event store")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
