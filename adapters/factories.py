"""Chooses an adapter for each port from its URL, so configuration alone picks the stack."""

from sqlalchemy.engine import make_url

from adapters.inprocess_bus import InProcessEventBus
from adapters.sql_event_store import SqlEventStore
from core.event_bus import EventBus
from core.event_store import EventStore


class UnsupportedUrl(ValueError):
    """A URL names a scheme no adapter serves."""


async def open_event_store(url: str) -> EventStore:
    scheme = url.split(":", 1)[0]
    if scheme.startswith(("sqlite", "mysql", "postgresql")):
        make_url(url)  # fails early and clearly on a malformed URL
        return await SqlEventStore.connect(url)
    raise UnsupportedUrl(f"no event store adapter for {url!r}")


def open_event_bus(url: str) -> EventBus:
    if url == "inprocess://":
        return InProcessEventBus()
    raise UnsupportedUrl(f"no event bus adapter for {url!r}")
