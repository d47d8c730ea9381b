"""Event bus inside one process: the embedded default, needing no broker.

A publish hands the events to every subscriber, each in turn, and returns once each has
handled them. A subscriber that fails keeps no other from the events: every one is
handed them, and then the publish fails with the first failure. The outbox publishes in
the background (commands never wait for it) and marks events published only after a
publish returned, so an event a subscriber could not handle, however long the failure
lasts, stays in the outbox and is delivered again (to every subscriber: each skips what
it handled before). A subscriber that must not hold the others' events up for ever
parks what fails for good (core.parking): only transient failures then reach here.
"""

from collections.abc import Sequence

from core.event_store import EventBatchHandler, EventBus
from core.events import StoredEvent

URL = "inprocess://"  # TECHBANK_EVENT_BUS_URL naming this bus: the default


class InProcessEventBus(EventBus):
    def __init__(self) -> None:
        self._handlers: list[EventBatchHandler] = []

    def subscribe(self, handler: EventBatchHandler) -> None:
        self._handlers.append(handler)

    async def publish(self, events: Sequence[StoredEvent]) -> None:
        failures = []
        for handler in self._handlers:
            try:
                await handler(events)
            except Exception as failure:
                failures.append(failure)
        if failures:
            raise failures[0]
