"""The deadline of the request being served, for code far from the transport to respect
(a decision that lost an optimistic-concurrency race is taken again within it, after a
pause of up to MAX_PAUSE_SECONDS).
"""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

DEFAULT_SECONDS = 10.0

_deadline: ContextVar[float | None] = ContextVar("request_deadline", default=None)


@contextmanager
def request_deadline(seconds: float | None) -> Iterator[None]:
    """Set the current request's deadline, `seconds` from now (None: DEFAULT_SECONDS)."""
    token = _deadline.set(time.monotonic() + (DEFAULT_SECONDS if seconds is None else seconds))
    try:
        yield
    finally:
        _deadline.reset(token)


def seconds_left() -> float:
    """Seconds until the current request's deadline; DEFAULT_SECONDS outside a request."""
    deadline = _deadline.get()
    return DEFAULT_SECONDS if deadline is None else deadline - time.monotonic()


MAX_PAUSE_SECONDS = 0.05
