"""The projector's composition root: `bootstrap` wires an event store and a read model
into the projection (the tests and the embedded root hand it theirs), `build_projector`
opens the ones the settings name, for the projector and the operator's tools alike."""

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

from sqlalchemy.engine import make_url

from adapters.factories import open_event_store
from adapters.settings import Settings
from adapters.sql.checks import check_can_exist, misconfiguration
from bank.evolution import in_current_shapes
from core.event_store import EventStore
from projector.projection import AccountProjection
from projector.read_model import ReadModel
from projector.sql_read_model import SqlReadModel
from projector.sqlite_read_model import SqliteReadModel


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


READ_DB_URL = "TECHBANK_READ_DB_URL"


async def open_read_model(url: str, prepare: bool = True) -> tuple[ReadModel, bool]:
    """The read model at `url` (TECHBANK_READ_DB_URL's), and whether it holds no account
    yet; the embedded default's SQLite file through plain sqlite3, other databases through
    SQLAlchemy. Without `prepare`, the tables are taken as they are (for tools that only
    look). A URL that cannot name a database raises ConfigurationError: the tables are
    created, never the database, lest a typo make a new, empty one."""
    check_can_exist(READ_DB_URL, url)
    try:
        if make_url(url).get_backend_name() == "sqlite":
            return await SqliteReadModel.connect(url, prepare)
        return await SqlReadModel.connect(url, prepare)
    except Exception as error:
        wrong = misconfiguration(READ_DB_URL, url, error)
        if wrong is None:
            raise
        raise wrong from None


@contextlib.asynccontextmanager
async def build_projector(settings: Settings, prepare: bool = True) -> AsyncIterator[Projector]:
    """The projector over the stores the settings name; both are closed on leaving."""
    async with contextlib.AsyncExitStack() as resources:
        store = await open_event_store(settings.event_store_url)
        resources.push_async_callback(store.close)
        read_model, fresh = await open_read_model(settings.read_db_url, prepare)
        resources.push_async_callback(read_model.close)
        yield bootstrap(store, read_model, fresh)
