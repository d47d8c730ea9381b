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


def _kill_self(_events: list[StoredEvent]) -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _kill_after(event_type: str) -> AppendHook:
    def kill_if_appended(events: list[StoredEvent]) -> None:
        if any(event.event_type == event_type for event in events):
            _kill_self(events)

    return kill_if_appended


def fault_after_append(kill_after_append: bool, kill_after_event: str) -> AppendHook | None:
    """The command server's hook between an append and the outbox (Settings.faults)."""
    if kill_after_append:
        return _kill_self
    return _kill_after(kill_after_event) if kill_after_event else None


async def pause_inside_batch(seconds: float) -> None:
    """The projector's pause inside a batch, before storing it (Settings.faults)."""
    if seconds:
        await asyncio.sleep(seconds)
