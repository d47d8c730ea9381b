"""`techbank admin restore|check`: the projector's operator tools with progress on stderr.

Like `python -m projector.restore` and `python -m projector.check`, they read the
TECHBANK_* settings (the stores' URLs, not the servers' addresses): they work on the
stores themselves, which no server hands to its callers. Their INFO logs are left out:
the progress says the same.
"""

import argparse
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from adapters.settings import Settings
from core.event_store import EventStore
from projector.bootstrap import build_projector
from projector.check import Difference, check
from projector.restore import restore
from projector.translation import Row
from techbank_client.output import Output
from techbank_client.progress import Progress

DIFFERENCES_FOUND = 1  # the exit status, as projector.check's


@dataclass(frozen=True)
class Restored:
    accounts: int
    events: int
    seconds: float


@dataclass(frozen=True)
class Checked:
    accounts: int
    differences: list[Difference]


async def count_accounts(store: EventStore) -> int:
    """The accounts the store knows now: the bar's total."""
    count = 0
    async for _ in store.aggregate_ids():
        count += 1
    return count


async def restore_with_progress() -> Restored:
    async with build_projector(Settings()) as projector:
        progress = Progress("restore", await count_accounts(projector.store))
        started = time.monotonic()
        accounts, events = await restore(
            projector.read_model,
            projector.store,
            lambda done, events: progress.update(done, f", {events} events"),
        )
        progress.finish()
        return Restored(accounts, events, time.monotonic() - started)


async def check_with_progress(settle_seconds: float) -> Checked:
    async with build_projector(Settings(), prepare=False) as projector:  # only looks
        progress = Progress("check", await count_accounts(projector.store))
        found = await check(projector, settle_seconds, progress.update)
    progress.finish()
    return Checked(progress.done, found)


def difference_json(difference: Difference) -> dict[str, Any]:
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


async def run_restore(args: argparse.Namespace, out: Output) -> int:
    restored = await restore_with_progress()
    if out.as_json:
        out.json(
            {
                "accounts": restored.accounts,
                "events": restored.events,
                "seconds": round(restored.seconds, 3),
            }
        )
    else:
        out.line(
            f"restored {restored.accounts} accounts ({restored.events} events) "
            f"in {restored.seconds:.1f} s"
        )
    return 0


async def run_check(args: argparse.Namespace, out: Output) -> int:
    """Exits DIFFERENCES_FOUND when the read model differs, as projector.check does."""
    checked = await check_with_progress(args.settle_seconds)
    found = checked.differences
    if out.as_json:
        out.json({"accounts": checked.accounts, "differences": [difference_json(d) for d in found]})
    else:
        for diff in found:
            out.line(f"{diff.account_id}: expected {diff.expected}, read model has {diff.actual}")
            if diff.movements:  # as projector.check prints it
                out.line(f"{diff.account_id}: {diff.movements}")
        out.line(f"check: {len(found)} account(s) differ from the event store")
    return DIFFERENCES_FOUND if found else 0
