"""Limits on server streams, so that clients who open many or read none cannot starve
the others.

At most `max_streams` server-streaming calls run at once on a server: the next one
answers RESOURCE_EXHAUSTED at once. A stream whose client has not taken a message
for `stall_seconds` (gRPC's flow control holds the next write until it does) is
ended with RESOURCE_EXHAUSTED, and its memory with it: what a stalled stream holds is
bounded by one message and the HTTP/2 window, and there are at most `max_streams`.

Long calls (streams, read-your-write waits) are also counted per client (`ClientQuota`),
so that one client cannot hold every slot: a client is its authenticated name, or
without authentication the host it calls from.
"""

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import grpc

from adapters.grpc import errors as grpc_errors
from adapters.grpc.auth import current_caller
from adapters.grpc.errors import Context

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StreamLimits:
    max_streams: int
    stall_seconds: float
    per_client: int


class StreamGate:
    """The streams of one server: how many are open, and how long each may stall.

    Wraps a server-streaming behaviour (an async generator) into a handler that
    writes its messages itself (gRPC's writer API), so that it can see a write stall.
    """

    def __init__(self, limits: StreamLimits) -> None:
        self._limits = limits
        self._open = 0
        self._per_client = ClientQuota("streams", limits.per_client)

    def limited(
        self, behaviour: Callable[[Any, Context], AsyncIterator[Any]]
    ) -> Callable[[Any, Context], Awaitable[None]]:
        async def stream(request: Any, context: Context) -> None:
            if self._open >= self._limits.max_streams:
                await grpc_errors.abort(
                    context,
                    grpc.StatusCode.RESOURCE_EXHAUSTED,
                    f"too many streams open on this server (at most "
                    f"{self._limits.max_streams}); try again later",
                    "TOO_MANY_STREAMS",
                    metadata={"limit": str(self._limits.max_streams)},
                )
            async with self._per_client.held(context):
                self._open += 1
                try:
                    await self._write_all(behaviour(request, context), context)
                finally:
                    self._open -= 1

        return stream

    async def _write_all(self, responses: AsyncIterator[Any], context: Context) -> None:
        watchdog = _Watchdog(context, self._limits.stall_seconds)
        try:
            async for response in responses:
                with watchdog.writing():
                    await context.write(response)
        except asyncio.CancelledError:
            if not watchdog.ended:
                raise  # the client went away, or the server stops
        finally:
            watchdog.close()
            await responses.aclose()  # type: ignore[attr-defined]


class ClientQuota:
    """How many of one kind of long call each client may hold at once."""

    def __init__(self, kind: str, per_client: int) -> None:
        self._kind, self._per_client = kind, per_client
        self._held: dict[str, int] = {}

    @contextlib.asynccontextmanager
    async def held(self, context: Context) -> AsyncIterator[None]:
        """Counts the call as one of its client's while it runs; RESOURCE_EXHAUSTED at
        once if the client already holds its quota."""
        client = client_of(context)
        held = self._held.get(client, 0)
        if held >= self._per_client:
            await grpc_errors.abort(
                context,
                grpc.StatusCode.RESOURCE_EXHAUSTED,
                f"too many {self._kind} open for this client (at most {self._per_client}); "
                "try again when one ends",
                "CLIENT_QUOTA_EXCEEDED",
                metadata={"quota": self._kind, "limit": str(self._per_client)},
            )
        self._held[client] = held + 1
        try:
            yield
        finally:
            self._release(client)

    def _release(self, client: str) -> None:
        left = self._held[client] - 1
        if left:
            self._held[client] = left
        else:
            del self._held[client]


def client_of(context: Context) -> str:
    """The authenticated caller's name; without authentication, the peer's host."""
    caller = current_caller().name
    if caller:
        return f"caller {caller}"
    host, _, _port = context.peer().rpartition(":")
    return f"host {host}"


class _Watchdog:
    """Ends its stream when one write has waited `stall` seconds for the client to read.

    Writes are awaited directly (a task per write would cost a fifth of the stream's
    throughput); a timer looks every half `stall`. It sets the call's status and
    cancels the handler's task, which then returns: gRPC sends that status. Neither
    abort() nor cancelling the write itself returns while flow control holds it.
    """

    def __init__(self, context: Context, stall: float) -> None:
        self._context, self._stall = context, stall
        self._task = asyncio.current_task()
        self._started: float | None = None  # when the write under way began
        self.ended = False
        self._timer = asyncio.get_running_loop().call_later(stall / 2, self._look)

    @contextlib.contextmanager
    def writing(self) -> Iterator[None]:
        self._started = time.monotonic()
        try:
            yield
        finally:
            self._started = None

    def _look(self) -> None:
        started = self._started
        if started is not None and time.monotonic() - started >= self._stall:
            self._end()
            return
        self._timer = asyncio.get_running_loop().call_later(self._stall / 2, self._look)

    def _end(self) -> None:
        log.info("ended a stream its client had not read for %.0f s", self._stall)
        self.ended = True
        grpc_errors.set_status(
            self._context,
            grpc.StatusCode.RESOURCE_EXHAUSTED,
            f"stream ended: the client read nothing for {self._stall:.0f} s",
            "STREAM_STALLED",
        )
        if self._task is not None:
            self._task.cancel()

    def close(self) -> None:
        self._timer.cancel()
