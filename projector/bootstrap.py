"""Wires the projector from configuration."""

from dataclasses import dataclass

from sqlalchemy.engine import make_url

from core.event_store import EventStore
from projector.projection import AccountProjection
from projector.read_model import ReadModel
from projector.sql_read_model import SqlReadModel
from projector.sqlite_read_model import SqliteReadModel


@dataclass(frozen=True)
class Projector:
    projection: AccountProjection
    read_model: ReadModel
    fresh: bool  # the read model holds no account yet: everything is still to project


async def open_read_model(url: str, prepare: bool = True) -> tuple[ReadModel, bool]:
    """The read model at `url`, and whether it holds no account yet; the embedded default's
    SQLite file through plain sqlite3, other databases through SQLAlchemy. Without
    `prepare`, the tables are taken as they are (for tools that only look)."""
    if make_url(url).get_backend_name() == "sqlite":
        return await SqliteReadModel.connect(url, prepare)
    return await SqlReadModel.connect(url, prepare)


async def build_projection(read_db_url: str, store: EventStore) -> Projector:
    """The projection over the read database, healing gaps from `store`."""
    read_model, fresh = await open_read_model(read_db_url)
    return Projector(AccountProjection(read_model, store.load), read_model, fresh)
