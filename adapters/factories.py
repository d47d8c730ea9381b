"""Chooses an adapter for each port from its URL, so configuration alone picks the stack.

- event store: `sqlite+aiosqlite:///path`, `mysql+aiomysql://...` or `mongodb://host:port/db`
- event bus: `inprocess://` or `kafka://host:port[,host:port]/topic[?partitions=6&replication=1]`
- parked events: beside the event store, at its URL
- read model (the projector's, writing): `sqlite+aiosqlite:///path` or `mysql+aiomysql://...`
- account reader (the query server's): the same, as a user that may only read

Each adapter is imported only when its URL is chosen: the drivers of the stack not
used (PyMongo, aiokafka) cost a process about 0.7 s to import, at every start.
"""

from typing import TYPE_CHECKING

from sqlalchemy.engine import make_url

from adapters import inprocess_bus
from adapters.inprocess_bus import InProcessEventBus
from adapters.settings import ConfigurationError, redacted
from adapters.sql.errors import check_can_exist, misconfiguration
from bank.account_reader import AccountReader
from bank.read_model import ReadModel
from core.event_store import EventBus, EventStore
from core.parking import ParkedEvents

if TYPE_CHECKING:
    from adapters.kafka.bus import Encode

SQL_SCHEMES = ("sqlite", "mysql", "postgresql")
STORE_SETTING, BUS_SETTING = "TECHBANK_EVENT_STORE_URL", "TECHBANK_EVENT_BUS_URL"
READ_DB_SETTING, QUERY_DB_SETTING = "TECHBANK_READ_DB_URL", "TECHBANK_QUERY_DB_URL"


class UnsupportedUrl(ConfigurationError):
    """A URL names a scheme no adapter serves: the process cannot start with it."""


async def open_event_store(url: str) -> EventStore:
    scheme = url.split(":", 1)[0]
    if scheme.startswith("sqlite"):
        from adapters.sqlite.event_store import SqliteEventStore

        return await SqliteEventStore.connect(url)
    if scheme.startswith(SQL_SCHEMES):
        from adapters.sql.event_store import SqlEventStore

        return await SqlEventStore.connect(url)
    if scheme in ("mongodb", "mongodb+srv"):
        from adapters.mongo.event_store import MongoEventStore

        return await MongoEventStore.connect(url)
    raise UnsupportedUrl(
        f"{STORE_SETTING}={redacted(url)}: no event store adapter for it "
        "(sqlite+aiosqlite:///..., mysql+aiomysql://... or mongodb://...)"
    )


async def open_parked_events(event_store_url: str) -> ParkedEvents:
    """Where the bus's consumers park what they cannot handle: beside the event store."""
    scheme = event_store_url.split(":", 1)[0]
    if scheme.startswith(SQL_SCHEMES):
        from adapters.sql.parked import SqlParkedEvents

        if scheme == "sqlite":  # the async driver SQLAlchemy needs
            event_store_url = "sqlite+aiosqlite" + event_store_url.removeprefix("sqlite")
        return await SqlParkedEvents.connect(event_store_url)
    if scheme in ("mongodb", "mongodb+srv"):
        from adapters.mongo.parked import MongoParkedEvents

        return await MongoParkedEvents.connect(event_store_url)
    raise UnsupportedUrl(f"{STORE_SETTING}={redacted(event_store_url)}: no adapter for it")


async def open_event_bus(url: str, encode: "Encode") -> EventBus:
    if url == inprocess_bus.URL:
        return InProcessEventBus()
    if url.startswith("kafka://"):
        from adapters.kafka.bus import KafkaEventBus, KafkaTopic

        return await KafkaEventBus.connect(KafkaTopic.from_url(url), encode)
    raise UnsupportedUrl(
        f"{BUS_SETTING}={redacted(url)}: no event bus adapter for it "
        "(inprocess:// or kafka://host:port/topic)"
    )


async def open_read_model(url: str, prepare: bool = True) -> tuple[ReadModel, bool]:
    """The read model at `url` (TECHBANK_READ_DB_URL's), and whether it holds no account
    yet; the embedded default's SQLite file through plain sqlite3, MySQL through
    SQLAlchemy. Without `prepare`, the tables are taken as they are (for tools that only
    look). A URL that cannot name a database raises ConfigurationError: the tables are
    created, never the database, lest a typo make a new, empty one."""
    check_can_exist(READ_DB_SETTING, url)
    backend = make_url(url).get_backend_name()
    try:
        if backend == "sqlite":
            from adapters.sqlite.read_model import SqliteReadModel

            return await SqliteReadModel.connect(url, prepare)
        if backend == "mysql":
            from adapters.sql.read_model import SqlReadModel

            return await SqlReadModel.connect(url, prepare)
    except Exception as error:
        wrong = misconfiguration(READ_DB_SETTING, url, error)
        if wrong is None:
            raise
        raise wrong from None
    raise UnsupportedUrl(f"{READ_DB_SETTING}={redacted(url)}: no read model adapter for it")


async def open_account_reader(url: str) -> AccountReader:
    """The query server's reader at `url`: SQLite and MySQL, each through its own driver."""
    backend = make_url(url).get_backend_name()
    if backend == "sqlite":
        from adapters.sqlite.reader import SqliteAccountReader

        return await SqliteAccountReader.connect(url)
    if backend == "mysql":
        from adapters.sql.reader import MysqlAccountReader

        return await MysqlAccountReader.connect(url)
    raise UnsupportedUrl(f"{QUERY_DB_SETTING}={redacted(url)}: no reader adapter for it")
