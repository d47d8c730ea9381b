"""`python -m projector.check` (or `techbank-admin check`): compare the read database with
the fold of the event store.

Prints every account whose row or movements differ from the fold of its events, and every
row the store does not know, then exits 1 if there was any; its progress goes to stderr.
On a busy system the projector may simply be behind: --settle-seconds re-checks until then.
It only looks: nothing is written.
"""

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from adapters import command_line as shown
from adapters.command_line import Tool
from adapters.settings import Settings, configure_logging
from bank.read_model import ReadModel
from bank.read_rows import Row, fold
from core.event_store import EventStore, in_chunks
from projector.bootstrap import Projector, build_projector

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


DIFFERENCES_FOUND = 1  # an answer (the stores differ), not a failure to check


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--settle-seconds", type=float, default=0.0, metavar="SECONDS")
    parser.add_argument("--json", action="store_true", help="the differences as one JSON object")


async def _run(args: argparse.Namespace) -> int:
    settings = Settings()
    configure_logging(settings)
    async with build_projector(settings, prepare=False) as projector:  # only looks
        bar = shown.Progress("check", await shown.counted(projector.store.aggregate_ids()))
        found = await check(projector, args.settle_seconds, bar.update)
    bar.finish()
    if args.json:
        print(json.dumps({"accounts": bar.done, "differences": [_json(d) for d in found]}))
    else:
        for diff in found:
            print(f"{diff.account_id}: expected {diff.expected}, read model has {diff.actual}")
            if diff.movements:
                print(f"{diff.account_id}: {diff.movements}")
        print(f"check: {len(found)} account(s) differ from the event store")
    return DIFFERENCES_FOUND if found else 0


def _json(difference: Difference) -> dict[str, Any]:
    return {
        "account_id": difference.account_id,
        "expected": _row_json(difference.expected),
        "actual": _row_json(difference.actual),
        "movements": difference.movements,
    }


def _row_json(row: Row | None) -> dict[str, Any] | None:
    """The row's columns, times in ISO 8601; bytes (`wire`, the answer's) left out."""
    if row is None:
        return None
    return {
        name: value.isoformat() if isinstance(value, datetime) else value
        for name, value in row.items()
        if not isinstance(value, bytes)
    }


TOOL = Tool("check", "projector.check", __doc__, _arguments, _run)

if __name__ == "__main__":
    sys.exit(TOOL.main())
