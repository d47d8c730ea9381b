"""`python -m projector.check`: compare the read database with the fold of the event store.

Prints every account whose row or movements differ from the fold of its events, and every row
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
from core.event_store import EventStore, in_chunks
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
    movements: str = ""  # how the movements differ, when they do


async def differences(
    read_model: ReadModel, store: EventStore, on_progress: OnProgress | None = None
) -> list[Difference]:
    """Every account whose read-model row or movements are not the fold of its stored
    events; `on_progress` is told how many accounts were compared after each chunk."""
    rows = {row["account_id"]: row async for row in read_model.rows()}
    found: list[Difference] = []
    compared = 0
    async for chunk in in_chunks(store.aggregate_ids()):
        found += await _compare(read_model, store, chunk, rows)
        compared += len(chunk)
        if on_progress is not None:
            on_progress(compared)
    found.extend(Difference(account_id, None, row) for account_id, row in rows.items())
    return found


async def _compare(
    read_model: ReadModel, store: EventStore, account_ids: list[str], rows: dict[str, Row]
) -> list[Difference]:
    """The differences among these accounts, whose rows are taken out of `rows`."""
    histories = await store.load_many(account_ids)
    movements = await read_model.movements(account_ids)
    found = []
    for account_id in account_ids:
        expected, lines = fold(histories[account_id])
        actual = rows.pop(account_id, None)
        moved = movements.get(account_id, [])
        about = ""
        if moved != lines:
            about = f"movements differ from the fold ({len(moved)} kept, {len(lines)} expected)"
        if expected != actual or about:
            found.append(Difference(account_id, expected, actual, about))
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
        if diff.movements:
            print(f"{diff.account_id}: {diff.movements}")
    print(f"check: {len(found)} account(s) differ from the event store")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
