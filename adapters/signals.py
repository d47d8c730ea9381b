"""How every process learns it should stop: SIGTERM (an orchestrator) or SIGINT (Ctrl-C)."""

import asyncio
import signal


def stop_requested() -> asyncio.Event:
    """An event set when SIGTERM or SIGINT arrives; call from within the running loop."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    return stop
