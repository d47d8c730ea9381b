"""The event bus port: how stored events reach the read side."""

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Sequence

from core.events import StoredEvent

EventBatchHandler = Callable[[Sequence[StoredEvent]], Awaitable[None]]


class EventBus(ABC):
    """Publishes events that are already safe in the event store."""

    @abstractmethod
    async def publish(self, events: Sequence[StoredEvent]) -> None:
        """Deliver the events, keeping each aggregate's events in version order."""

    async def close(self) -> None:
        """Flush what is pending and release connections."""
