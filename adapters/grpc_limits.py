"""Limits on server streams, so that clients who open many or read none cannot starve
the others.

At most `max_streams` server-streaming calls run at once on a server: the next one
answers RESOURCE_EXHAUSTED at once. A stream whose client has not taken a message
for `stall_seconds` (gRPC's flow control holds the next write until it does) is
ended with RESOURCE_EXHAUSTED, and its memory with it: what a stalled stream holds is
bounded by one message and the HTTP/2 window, and there are at most `max_streams`.
"""

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import grpc

log = logging.getLogger(__name__)
Context = grpc.aio.ServicerContext[Any, Any]


@dataclass(frozen=True)
class StreamLimits:
    max_streams: int
    stall_seconds: float


class StreamGate:
    """The streams of one server: how many are open, and how long each may stall.

    Wraps a server-streaming behaviour (an async generator) into a handler that
    writes its messages itself (gRPC's writer API), so that it can see a write stall.
    """

    def __init__(self, limits: StreamLimits) -> None:
        self._limits = limits
        self._open = 0

    def limited(
        self, behaviour: Callable[[Any, Context], AsyncIterator[Any]]
    ) -> Callable[[Any, Context], Awaitable[None]]:
        async def stream(request: Any, context: Context) -> None:
            if self._open >= self._limits.max_streams:
                await context.abort(
                    grpc.StatusCode.RESOURCE_EXHAUSTED,
                    f"too many streams open on this server (at most "
                    f"{self._limits.max_streams}); try again later",
                )
            self._open += 1
            try:
                await self._write_all(behaviour(request, context), context)
            finally:
                self._open -= 1

        return stream

    async def _write_all(self, responses: AsyncIterator[Any], context: Context) -> None:
        stall = self._limits.stall_seconds
        try:
            async for response in responses:
                # Not wait_for: cancelling a write that flow control holds never returns.
                write = asyncio.ensure_future(context.write(response))
                write.add_done_callback(_forget)  # also when this call is cancelled
                done, _ = await asyncio.wait({write}, timeout=stall)
                if not done:
                    log.info("ended a stream its client had not read for %.0f s", stall)
                    # Not abort(), which may wait behind the held write: the status
                    # set here goes out when this handler returns.
                    context.set_code(grpc.StatusCode.RESOURCE_EXHAUSTED)
                    context.set_details(f"stream ended: the client read nothing for {stall:.0f} s")
                    return
                write.result()
        finally:
            await responses.aclose()  # type: ignore[attr-defined]


def _forget(write: "asyncio.Future[None]") -> None:
    """A write whose stream was abandoned or cancelled: its outcome no longer matters."""
    if not write.cancelled():
        write.exception()
