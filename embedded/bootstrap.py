"""The embedded default's composition root: the command side and the projection in one
process, over one event store, joined by the in-process bus.

On that bus the projection is the events' only reader, so it must live where they are
published. It catches up with the event store in the background (the read database may
have been replaced, or be locked for now) while commands are already served.
"""

import asyncio
import contextlib
import logging

from adapters.factories import open_event_store
from adapters.inprocess_bus import InProcessEventBus
from adapters.settings import Settings
from command_server import bootstrap as commands
from command_server.bootstrap import CommandSide
from command_server.faults import fault_after_append
from core.event_store import EventStore
from core.repository import AppendHook
from projector import bootstrap as projections
from projector.bootstrap import Projector, open_read_model
from projector.read_model import ReadModel
from projector.transient import is_transient

log = logging.getLogger(__name__)
CATCH_UP_RETRY_SECONDS = 1.0


async def bootstrap(
    store: EventStore,
    read_model: ReadModel,
    fresh: bool = False,
    after_append: AppendHook | None = None,
    snapshot_every: int = 0,
) -> CommandSide:
    """The command side, publishing to the projection into `read_model`; closing it
    stops the catching up and closes `read_model` before `store`."""
    bus = InProcessEventBus()
    side = commands.bootstrap(store, bus, after_append, snapshot_every)
    projector = projections.bootstrap(store, read_model, fresh)
    bus.subscribe(projector.projection.handle)
    catching_up = asyncio.create_task(_catch_up(projector))

    async def stop_catching_up() -> None:
        catching_up.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await catching_up

    side.closers.extend([stop_catching_up, read_model.close])
    await side.start()
    return side


async def build_embedded(settings: Settings) -> CommandSide:
    """The embedded process over the SQLite files (or other stores) the settings name."""
    store = await open_event_store(settings.event_store_url)
    read_model, fresh = await open_read_model(settings.read_db_url)
    return await bootstrap(store, read_model, fresh, fault_after_append(), settings.snapshot_every)


async def _catch_up(projector: Projector) -> None:
    while True:
        try:
            caught_up = await projector.projection.catch_up(projector.store.aggregate_ids())
        except Exception as exc:
            if not is_transient(exc):
                log.exception("catching up the read model failed; the next start tries again")
                return
            log.warning("catching up the read model failed (%r); retrying", exc)
            await asyncio.sleep(CATCH_UP_RETRY_SECONDS)
            continue
        log.info("read model caught up with the event store: %d events applied", caught_up)
        return
