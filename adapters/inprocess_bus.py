"""Event bus inside one process: the embedded default, needing no broker.

A publish hands the events to every subscriber and returns once each has handled
them; a subscriber's failure fails the publish. The outbox publishes in the
background (commands never wait for it) and marks events published only after a
publish returned, so an event a subscriber could not handle, however long the
failure lasts, stays in the outbox and is delivered again until it is handled.
"""

from collections.abc import Sequence

from core.event_bus import EventBatchHandler, EventBus
from core.events import StoredEvent

URL = "inprocess://"  # TECHBANK_EVENT_BUS_URL naming this bus: the default


class InProcessEventBus(EventBus):
    def __init__(self) -> None:
        self._handlers: list[EventBatchHandler] = []

    def subscribe(self, handler: EventBatchHandler) -> None:
        self._handlers.append(handler)

    async def publish(self, events: Sequence[StoredEvent]) -> None:
        for handler in self._handlers:
            await handler(events)
