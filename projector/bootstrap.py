"""The projector's composition root: `bootstrap` wires an event store and a read model
into the projection (the tests and the embedded root hand it theirs), `build_projector`
opens the ones the settings name, for the projector and the operator's tools alike."""

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

from adapters.factories import open_event_store, open_read_model
from adapters.settings import Settings
from bank.read_model import ReadModel
from bank.wire import in_current_shapes
from core.event_store import EventStore
from projector.projection import AccountProjection


@dataclass(frozen=True)
class Projector:
    store: EventStore
    read_model: ReadModel
    projection: AccountProjection
    fresh: bool  # the read model holds no account yet: everything is still to project


def bootstrap(store: EventStore, read_model: ReadModel, fresh: bool = False) -> Projector:
    """The projection into `read_model`, healing gaps from `store` (read in the events'
    current shapes, like everything the projector reads from it)."""
    store = in_current_shapes(store)
    return Projector(store, read_model, AccountProjection(read_model, store.load), fresh)


@contextlib.asynccontextmanager
async def build_projector(settings: Settings, prepare: bool = True) -> AsyncIterator[Projector]:
    """The projector over the stores the settings name; both are closed on leaving."""
    async with contextlib.AsyncExitStack() as resources:
        store = await open_event_store(settings.event_store_url)
        resources.push_async_callback(store.close)
        read_model, fresh = await open_read_model(settings.read_db_url, prepare)
        resources.push_async_callback(read_model.close)
        yield bootstrap(store, read_model, fresh)
