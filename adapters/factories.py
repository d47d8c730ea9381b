"""Chooses an adapter for each port from its URL, so configuration alone picks the stack.

- event store: `sqlite+aiosqlite:///path`, `mysql+aiomysql://...` or `mongodb://host:port/db`
- event bus: `inprocess://` or `kafka://host:port[,host:port]/topic[?partitions=6&replication=1]`
- parked events: beside the event store, at its URL

Each adapter is imported only when its URL is chosen: the drivers of the stack not
used (PyMongo, aiokafka) cost a process about 0.7 s to import, at every start.
"""

from typing import TYPE_CHECKING

from adapters import inprocess_bus
from adapters.inprocess_bus import InProcessEventBus
from adapters.redaction import redacted
from adapters.settings import ConfigurationError
from core.event_bus import EventBus
from core.event_store import EventStore
from core.parking import ParkedEvents

if TYPE_CHECKING:
    from adapters.kafka.bus import Encode

SQL_SCHEMES = ("sqlite", "mysql", "postgresql")
STORE_SETTING, BUS_SETTING = "TECHBANK_EVENT_STORE_URL", "TECHBANK_EVENT_BUS_URL"


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
        from adapters.kafka.bus import KafkaEventBus
        from adapters.kafka.topic import KafkaTopic

        return await KafkaEventBus.connect(KafkaTopic.from_url(url), encode)
    raise UnsupportedUrl(
        f"{BUS_SETTING}={redacted(url)}: no event bus adapter for it "
        "(inprocess:// or kafka://host:port/topic)"
    )
