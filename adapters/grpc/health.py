"""Health that tells the truth: a service is NOT_SERVING while a store it needs does not answer.
(And, for clients and tests, asking a running server whether it serves: `is_serving`.)

Every `interval` seconds each service's probe runs, given `timeout` seconds: one that
raises or hangs marks its service NOT_SERVING, one that answers marks it SERVING again.
The overall status ("") is SERVING while every watched service is. Each change is logged
once, not each probe.
"""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

log = logging.getLogger(__name__)

Probe = Callable[[], Awaitable[None]]
SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING
INTERVAL_SECONDS = 1.0
TIMEOUT_SECONDS = 2.0


class HealthWatch:
    def __init__(
        self,
        servicer: health.aio.HealthServicer,
        probes: Mapping[str, Probe],
        interval: float = INTERVAL_SECONDS,
        timeout: float = TIMEOUT_SECONDS,
    ) -> None:
        """`probes` maps a service name to the probe of what it needs."""
        self._servicer, self._probes = servicer, dict(probes)
        self._interval, self._timeout = interval, timeout
        self._down: set[str] = set()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._probes:
            self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def check(self) -> None:
        """Run every probe once and set the statuses that changed."""
        was_down = bool(self._down)
        names = list(self._probes)
        failures = await asyncio.gather(*(self._failure(self._probes[name]) for name in names))
        for name, failure in zip(names, failures, strict=True):
            await self._update(name, failure)
        if bool(self._down) != was_down:
            await self._servicer.set("", NOT_SERVING if self._down else SERVING)

    async def _run(self) -> None:
        while True:
            await self.check()
            await asyncio.sleep(self._interval)

    async def _failure(self, probe: Probe) -> Exception | None:
        try:
            await asyncio.wait_for(probe(), self._timeout)
        except TimeoutError:
            return TimeoutError(f"no answer within {self._timeout:g} s")
        except Exception as error:
            return error
        return None

    async def _update(self, name: str, failure: Exception | None) -> None:
        if failure is not None and name not in self._down:
            self._down.add(name)
            log.warning("%s is NOT_SERVING: %s", name, _described(failure))
            await self._servicer.set(name, NOT_SERVING)
        elif failure is None and name in self._down:
            self._down.remove(name)
            log.info("%s is SERVING again", name)
            await self._servicer.set(name, SERVING)


def _described(error: Exception) -> str:
    """Its repr and its cause's: an adapter's Unavailable says which store, the cause why.
    Adapters' errors name a host at most, never a URL with its password."""
    if error.__cause__ is None:
        return repr(error)
    return f"{error!r} caused by {error.__cause__!r}"


def is_serving(
    address: str, timeout: float = 1.0, credentials: grpc.ChannelCredentials | None = None
) -> bool:
    """True when the health service at `address` answers SERVING within `timeout`
    (over TLS with `credentials`, in plaintext without)."""
    with open_channel(address, credentials) as channel:
        try:
            reply = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(), timeout=timeout
            )
        except grpc.RpcError:
            return False
    return bool(reply.status == health_pb2.HealthCheckResponse.SERVING)


def open_channel(address: str, credentials: grpc.ChannelCredentials | None) -> grpc.Channel:
    """A channel to `address`: over TLS with `credentials`, in plaintext without."""
    if credentials is None:
        return grpc.insecure_channel(address)
    return grpc.secure_channel(address, credentials)
