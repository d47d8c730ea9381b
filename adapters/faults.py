"""Fault injection for the tests that prove nothing is lost, in the command server and the
projector: off unless asked for.

TECHBANK_FAULT_KILL_AFTER_APPEND=1 makes the command server kill itself with SIGKILL
right after its first successful append, before the events are handed to the bus:
the worst moment for a dual write.

TECHBANK_FAULT_KILL_AFTER_EVENT=<event type> (TransferDebited, say) kills it right
after it first appends an event of that type: between two steps of a transfer.

TECHBANK_FAULT_SLOW_BATCH_SECONDS=<s> makes the Kafka projector pause that long inside
every batch, before storing it, so that a test can make a rebalance land mid-batch.
"""

import asyncio
import os
import signal

from core.events import StoredEvent
from core.repository import AppendHook

KILL_AFTER_APPEND = "TECHBANK_FAULT_KILL_AFTER_APPEND"
KILL_AFTER_EVENT = "TECHBANK_FAULT_KILL_AFTER_EVENT"


def _kill_self(_events: list[StoredEvent]) -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _kill_after(event_type: str) -> AppendHook:
    def kill_if_appended(events: list[StoredEvent]) -> None:
        if any(event.event_type == event_type for event in events):
            _kill_self(events)

    return kill_if_appended


def fault_after_append() -> AppendHook | None:
    if os.environ.get(KILL_AFTER_APPEND) == "1":
        return _kill_self
    event_type = os.environ.get(KILL_AFTER_EVENT)
    return _kill_after(event_type) if event_type else None


SLOW_BATCH = "TECHBANK_FAULT_SLOW_BATCH_SECONDS"


async def pause_inside_batch() -> None:
    seconds = float(os.environ.get(SLOW_BATCH) or 0)
    if seconds:
        await asyncio.sleep(seconds)
