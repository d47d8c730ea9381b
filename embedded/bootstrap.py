"""The embedded default's composition root: the command side and the projection in one
process, over one event store, joined by the in-process bus.

On that bus the projection and the transfer process are the events' only readers, so
they live where the events are published, each parking what it fails on for good
(core.parking). The projection catches up with the event store in the background (the
read database may have been replaced, or be locked for now) while commands are already
served.
"""

import asyncio
import contextlib
import logging

from adapters.factories import open_event_store, open_parked_events, open_read_model
from adapters.faults import fault_after_append
from adapters.inprocess_bus import InProcessEventBus
from adapters.settings import Settings
from bank.read_model import ReadModel
from command_server import bootstrap as commands
from command_server.bootstrap import CommandSide
from command_server.transfers import TRANSFERS
from core.event_store import EventStore
from core.parking import ParkedEvents, ParkingConsumer
from core.repository import AppendHook
from projector import bootstrap as projections
from projector.bootstrap import Projector
from projector.projection import PROJECTION
from projector.transient import is_transient

log = logging.getLogger(__name__)
CATCH_UP_RETRY_SECONDS = 1.0


async def bootstrap(
    store: EventStore,
    read_model: ReadModel,
    parked: ParkedEvents,
    *,
    fresh: bool = False,
    after_append: AppendHook | None = None,
    snapshot_every: int = 0,
) -> CommandSide:
    """The command side, publishing to the transfer process and the projection into
    `read_model`, each parking in `parked` what it fails on for good; closing it stops
    the catching up and the retries, and closes `read_model` and `parked` before `store`."""
    bus = InProcessEventBus()
    side = commands.bootstrap(store, bus, after_append, snapshot_every, parked)
    projector = projections.bootstrap(store, read_model, fresh)
    load = projector.store.load  # in the events' current shapes
    transfers = ParkingConsumer(TRANSFERS, side.transfers.resume, parked, load)
    projection = ParkingConsumer(
        PROJECTION, projector.projection.handle, parked, load, transient=is_transient
    )
    for consumer in (transfers, projection):
        bus.subscribe(consumer)
        side.consumers.append(consumer)
    background = [
        asyncio.create_task(_catch_up(projector, projection)),
        *(asyncio.create_task(consumer.retry_forever()) for consumer in (transfers, projection)),
    ]

    async def stop_background() -> None:
        for task in background:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    side.closers.extend([stop_background, read_model.close, parked.close])
    await side.start()
    return side


async def build_embedded(settings: Settings) -> CommandSide:
    """The embedded process over the SQLite files (or other stores) the settings name."""
    store = await open_event_store(settings.event_store_url)
    read_model, fresh = await open_read_model(settings.read_db_url)
    parked = await open_parked_events(settings.event_store_url)
    return await bootstrap(
        store,
        read_model,
        parked,
        fresh=fresh,
        after_append=fault_after_append(
            settings.faults.kill_after_append, settings.faults.kill_after_event
        ),
        snapshot_every=settings.snapshot_every,
    )


async def _catch_up(projector: Projector, projection: ParkingConsumer) -> None:
    """Apply what the store holds beyond the read model, through the projection's
    consumer: an account it fails on for good is parked, the others caught up."""
    while True:
        try:
            ids = projector.store.aggregate_ids()
            caught_up = await projector.projection.catch_up(ids, projection)
        except Exception as exc:
            if not is_transient(exc):
                log.exception("catching up the read model failed; the next start tries again")
                return
            log.warning("catching up the read model failed (%r); retrying", exc)
            await asyncio.sleep(CATCH_UP_RETRY_SECONDS)
            continue
        log.info("read model caught up with the event store: %d events applied", caught_up)
        return
