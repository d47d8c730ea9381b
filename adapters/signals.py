"""How every process learns it should stop: SIGTERM (an orchestrator) or SIGINT (Ctrl-C)."""

import asyncio
import contextlib
import signal
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any


def stop_requested() -> asyncio.Event:
    """An event set when SIGTERM or SIGINT arrives; call from within the running loop."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    return stop


async def unless_stopped(stop: asyncio.Event, work: Callable[[], Awaitable[None]]) -> bool:
    """Whether `work()` returned before `stop` was set (it is cancelled then); what it
    raises is raised."""
    working = asyncio.ensure_future(work())
    stopping = asyncio.ensure_future(stop.wait())
    await asyncio.wait({working, stopping}, return_when=asyncio.FIRST_COMPLETED)
    stopping.cancel()
    if not working.done():
        working.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await working
        return False
    working.result()
    return True


async def run_until_stopped(
    work: Callable[[asyncio.Event], Coroutine[Any, Any, None]], grace_seconds: float
) -> None:
    """Run `work(stop)` until it returns; once SIGTERM or SIGINT arrives, give it
    `grace_seconds` to finish on its own (it sees `stop` set), then cancel it, wherever
    it is: starting up, waiting for a store, or between batches."""
    stop = stop_requested()
    task = asyncio.create_task(work(stop))
    stopping = asyncio.create_task(stop.wait())
    await asyncio.wait({task, stopping}, return_when=asyncio.FIRST_COMPLETED)
    stopping.cancel()
    if not task.done():
        await asyncio.wait({task}, timeout=grace_seconds)
    if not task.done():
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        return
    task.result()  # its failure, if it failed
