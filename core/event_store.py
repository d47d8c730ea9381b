"""The event store port: append-only streams, one per aggregate, with optimistic concurrency."""

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Sequence

from core.events import StoredEvent


class EventStore(ABC):
    """Keeps every event of every aggregate, in order, forever."""

    @abstractmethod
    async def append(self, events: Sequence[StoredEvent], expected_version: int) -> None:
        """Append one aggregate's events after `expected_version`, all or none.

        Raises ConcurrencyError when the stream's last version is not `expected_version`,
        and Unavailable when the store cannot be reached.
        """

    @abstractmethod
    async def load(self, aggregate_id: str, after_version: int = 0) -> list[StoredEvent]:
        """Return the aggregate's events with a version above `after_version`, in order."""

    @abstractmethod
    def aggregate_ids(self) -> AsyncIterator[str]:
        """Yield the id of every aggregate that has at least one event."""

    async def close(self) -> None:
        """Release connections; the store is not used afterwards."""
