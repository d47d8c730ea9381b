"""Event bus inside one process: the embedded default, needing no broker.

Publishing only queues the events, so a slow or failing subscriber never delays or
fails a command; one task per subscriber delivers batches in publication order.
"""

import asyncio
import contextlib
import logging
from collections.abc import Sequence

from core.event_bus import EventBatchHandler, EventBus
from core.events import StoredEvent

log = logging.getLogger(__name__)


class InProcessEventBus(EventBus):
    def __init__(self) -> None:
        self._queues: list[asyncio.Queue[StoredEvent]] = []
        self._tasks: list[asyncio.Task[None]] = []

    def subscribe(self, handler: EventBatchHandler, max_batch: int = 500) -> None:
        queue: asyncio.Queue[StoredEvent] = asyncio.Queue()
        self._queues.append(queue)
        self._tasks.append(asyncio.create_task(_deliver(queue, handler, max_batch)))

    async def publish(self, events: Sequence[StoredEvent]) -> None:
        for queue in self._queues:
            for event in events:
                queue.put_nowait(event)

    async def drain(self) -> None:
        """Wait until every subscriber has handled what was published so far."""
        for queue in self._queues:
            await queue.join()

    async def close(self) -> None:
        await self.drain()
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def _deliver(
    queue: asyncio.Queue[StoredEvent], handler: EventBatchHandler, max_batch: int
) -> None:
    while True:
        batch = [await queue.get()]
        while len(batch) < max_batch and not queue.empty():
            batch.append(queue.get_nowait())
        try:
            await handler(batch)
        except Exception:
            # The projector heals gaps from the event store, so a lost batch is recovered
            # when the next event of the same aggregate arrives, or at the next start.
            log.exception("subscriber failed on a batch of %d events", len(batch))
        finally:
            for _ in batch:
                queue.task_done()
