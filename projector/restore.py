"""`python -m projector.restore` (or `techbank-admin restore`): rebuild the read database
from the event store, in place.

An operator's command rather than an RPC: it needs the event store and the read
database (TECHBANK_EVENT_STORE_URL, TECHBANK_READ_DB_URL), which no client-facing server
should hand to callers, and it shows its progress on stderr. It is safe while commands
keep arriving and the projector keeps running: accounts are rebuilt a chunk at a time,
each chunk in one transaction that holds their rows while their events are read, so a
rebuilt row is at least as new as anything the projector wrote, and the projector skips
as duplicates the events it then receives up to that version.
"""

import argparse
import json
import logging
import sys
import time
from collections.abc import Callable, Sequence
from typing import NamedTuple

from adapters import command_line as shown
from adapters.command_line import Tool
from adapters.settings import Settings, configure_logging
from bank.read_model import ReadModel
from bank.read_rows import Projected, fold
from core.event_store import EventStore, in_chunks
from projector.bootstrap import build_projector
from projector.transient import retry_transient

log = logging.getLogger("projector.restore")
PROGRESS_EVERY_SECONDS = 2.0
OnProgress = Callable[[int, int], None]  # accounts and events restored so far


class Restored(NamedTuple):
    accounts: int  # the ids given that are accounts' (a transfer's stream folds to nothing)
    events: int  # the account events folded


async def restore_accounts(
    read_model: ReadModel, store: EventStore, account_ids: list[str], generation: int | None = None
) -> Restored:
    """Replace each account's row and movements with the fold of its stream, in
    `generation` (None: the live one); how many accounts and events were folded.

    The rows are held while their events are read (ReadModel.rebuild), so a rebuilt row
    is never older than one the projector wrote meanwhile.
    """
    folded = Restored(0, 0)

    async def rows_now(ids: Sequence[str]) -> dict[str, Projected]:
        nonlocal folded
        histories = await store.load_many(ids)
        rows = {account_id: fold(history) for account_id, history in histories.items()}
        accounts = sum(1 for row, _ in rows.values() if row is not None)
        folded = Restored(accounts, sum(len(moved) for _, moved in rows.values()))
        return rows

    # The projector writes the same rows meanwhile: a deadlock with it is tried again.
    await retry_transient(lambda: read_model.rebuild(account_ids, rows_now, generation))
    return folded


async def restore(
    read_model: ReadModel, store: EventStore, on_progress: OnProgress | None = None
) -> tuple[int, int]:
    """Rebuild every account the store knows and drop rows it does not; return the counts.
    `on_progress` is told the counts so far after each chunk (the operator's bar)."""
    progress = Progress(on_progress)
    restored = await restore_all(read_model, store, progress)
    dropped = await _drop_rows_unknown_to(store, read_model, restored)
    log.info(
        "restore done: %d accounts, %d events, %d stray rows dropped, in %.1f s (%s events/s)",
        progress.accounts,
        progress.events,
        dropped,
        progress.elapsed,
        f"{progress.rate:,.0f}",
    )
    return progress.accounts, progress.events


async def restore_all(
    read_model: ReadModel, store: EventStore, progress: "Progress", generation: int | None = None
) -> set[str]:
    """Rebuild every account the store knows in `generation` (None: the live one), a chunk
    at a time; the ids rebuilt."""
    restored: set[str] = set()
    async for chunk in in_chunks(store.aggregate_ids()):
        progress.add(*await restore_accounts(read_model, store, chunk, generation))
        restored.update(chunk)
    return restored


class Progress:
    def __init__(self, on_progress: OnProgress | None = None) -> None:
        self.on_progress = on_progress
        self.accounts = self.events = 0
        self.started = self._reported = time.monotonic()

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    @property
    def rate(self) -> float:
        return self.events / self.elapsed if self.elapsed else 0.0

    def add(self, accounts: int, events: int) -> None:
        self.accounts += accounts
        self.events += events
        if self.on_progress is not None:  # which shows the progress, instead of a log line
            self.on_progress(self.accounts, self.events)
        elif time.monotonic() - self._reported >= PROGRESS_EVERY_SECONDS:
            self._reported = time.monotonic()
            log.info(
                "restored %d accounts (%d events) in %.1f s, %s events/s",
                self.accounts,
                self.events,
                self.elapsed,
                f"{self.rate:,.0f}",
            )


async def _drop_rows_unknown_to(
    store: EventStore, read_model: ReadModel, restored: set[str]
) -> int:
    """Drop the rows of accounts the store has no events of (only those not restored just
    now are asked about: an account opened meanwhile has events by now)."""
    ids = [row["account_id"] async for row in read_model.rows()]
    unknown = [account_id for account_id in ids if account_id not in restored]
    stray = [account_id for account_id in unknown if not await store.load(account_id)]
    if stray:
        await restore_accounts(read_model, store, stray)  # each folds to no row at all
    return len(stray)


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="the counts as one JSON object")


async def _run(args: argparse.Namespace) -> int:
    settings = Settings()
    configure_logging(settings)
    async with build_projector(settings) as projector:
        bar = shown.Progress("restore", await shown.counted(projector.store.aggregate_ids()))
        started = time.monotonic()
        accounts, events = await restore(
            projector.read_model,
            projector.store,
            lambda done, events: bar.update(done, f", {events} events"),
        )
        bar.finish()
    seconds = time.monotonic() - started
    if args.json:
        print(json.dumps({"accounts": accounts, "events": events, "seconds": round(seconds, 3)}))
    else:
        print(f"restored {accounts} accounts ({events} events) in {seconds:.1f} s")
    return 0


TOOL = Tool("restore", "projector.restore", __doc__, _arguments, _run)

if __name__ == "__main__":
    sys.exit(TOOL.main())
