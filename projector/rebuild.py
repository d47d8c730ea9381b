"""`python -m projector.rebuild` (or `techbank-admin rebuild`): rebuild the read model
beside the live one, without downtime (after a change to the projection, say).

1. A new generation of the tables is created, and from then on every batch of every
   projector writes it too (adapters.sql.read_generations says how no batch misses it).
2. Every account the event store knows is folded into it, a chunk at a time, each
   chunk holding its rows as `projector.restore` does: a folded row is never older
   than one a projector wrote, and the projector skips as duplicates what it then
   receives up to that version. An account opened meanwhile is the projector's alone.
3. The new generation becomes the live one, in one write: every query after it reads
   the new tables, every batch after it writes them only.
4. After a grace longer than any query server takes to look again (and any query in
   flight then), the old generation's tables are dropped.

Queries are answered throughout: from the old generation until the switch, from the
new one after it, each from tables the projector keeps up to date.
"""

import argparse
import asyncio
import logging
import sys

from adapters.command_line import Tool
from adapters.settings import Settings, configure_logging
from bank.read_model import ReadModel
from core.event_store import EventStore
from projector.bootstrap import build_projector
from projector.restore import Progress, restore_all

log = logging.getLogger("projector.rebuild")
GRACE_SECONDS = 5.0


async def rebuild(read_model: ReadModel, store: EventStore, grace_seconds: float) -> int:
    """Build, switch to and keep a new generation; the old one is dropped. Its number."""
    generation = await read_model.begin_generation()
    log.info("building generation %d beside the live one", generation)
    progress = Progress()
    await restore_all(read_model, store, progress, generation)
    retired = await read_model.switch_to(generation)
    log.info(
        "generation %d is live (%d accounts, %d events folded in %.1f s); generation %d retired",
        generation,
        progress.accounts,
        progress.events,
        progress.elapsed,
        retired,
    )
    await asyncio.sleep(grace_seconds)
    await read_model.drop_generation(retired)
    log.info("generation %d dropped", retired)
    return generation


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--grace-seconds",
        type=float,
        default=GRACE_SECONDS,
        metavar="SECONDS",
        help="how long the old generation is kept after the switch (default %(default)s)",
    )


async def _run(args: argparse.Namespace) -> int:
    settings = Settings()
    configure_logging(settings)
    async with build_projector(settings) as projector:
        await rebuild(projector.read_model, projector.store, args.grace_seconds)
    return 0


TOOL = Tool("rebuild", "projector.rebuild", __doc__, _arguments, _run)

if __name__ == "__main__":
    sys.exit(TOOL.main())
