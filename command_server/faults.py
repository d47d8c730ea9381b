"""Fault injection for the tests that prove nothing is lost: off unless asked for.

TECHBANK_FAULT_KILL_AFTER_APPEND=1 makes the command server kill itself with SIGKILL
right after its first successful append, before the events are handed to the bus:
the worst moment for a dual write.
"""

import os
import signal

from core.events import StoredEvent
from core.repository import AppendHook

KILL_AFTER_APPEND = "TECHBANK_FAULT_KILL_AFTER_APPEND"


def _kill_self(_events: list[StoredEvent]) -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def fault_after_append() -> AppendHook | None:
    return _kill_self if os.environ.get(KILL_AFTER_APPEND) == "1" else None
