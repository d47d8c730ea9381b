"""The health watch sets each service's status from its probe, and logs only the changes."""

import asyncio
import logging
import time
from collections.abc import AsyncIterator

import pytest
from grpc_health.v1 import health, health_pb2

from adapters.grpc.health import NOT_SERVING, SERVING, HealthWatch
from core.errors import Unavailable

INTERVAL, TIMEOUT = 0.01, 0.05
WITHIN_SECONDS = 5.0


class FakeStore:
    """A probe target: it answers, fails, or never answers, as the test says."""

    def __init__(self) -> None:
        self.failure: Exception | None = None
        self.hangs = False

    async def ping(self) -> None:
        if self.hangs:
            await asyncio.Event().wait()
        if self.failure is not None:
            raise self.failure


@pytest.fixture
async def servicer() -> health.aio.HealthServicer:
    """As serve() leaves it before the watch starts: everything SERVING."""
    servicer = health.aio.HealthServicer()
    for name in ("reads", "writes"):
        await servicer.set(name, SERVING)
    return servicer


@pytest.fixture
def reads() -> FakeStore:
    return FakeStore()


@pytest.fixture
async def watch(servicer: health.aio.HealthServicer, reads: FakeStore) -> AsyncIterator[None]:
    writes = FakeStore()
    running = HealthWatch(servicer, {"reads": reads.ping, "writes": writes.ping}, INTERVAL, TIMEOUT)
    running.start()
    yield
    await running.stop()


async def status(servicer: health.aio.HealthServicer, service: str) -> int:
    reply = await servicer.Check(health_pb2.HealthCheckRequest(service=service), None)
    return int(reply.status)


async def settle(servicer: health.aio.HealthServicer, expected: dict[str, int]) -> None:
    deadline = time.monotonic() + WITHIN_SECONDS
    while {name: await status(servicer, name) for name in expected} != expected:
        assert time.monotonic() < deadline, f"statuses never became {expected}"
        await asyncio.sleep(INTERVAL)


def lines(caplog: pytest.LogCaptureFixture, level: int) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == level]


@pytest.mark.usefixtures("watch")
async def test_a_failing_probe_marks_its_service_and_the_server_down_once(
    servicer: health.aio.HealthServicer, reads: FakeStore, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "adapters.grpc.health")
    reads.failure = Unavailable("the read database is unavailable")
    reads.failure.__cause__ = ConnectionRefusedError(111, "Connection refused")
    await settle(servicer, {"reads": NOT_SERVING, "": NOT_SERVING, "writes": SERVING})
    await asyncio.sleep(INTERVAL * 10)  # many failed probes
    assert lines(caplog, logging.WARNING) == [
        "reads is NOT_SERVING: Unavailable('the read database is unavailable') caused by "
        "ConnectionRefusedError(111, 'Connection refused')"
    ]


@pytest.mark.usefixtures("watch")
async def test_a_probe_that_answers_again_marks_it_serving_again_once(
    servicer: health.aio.HealthServicer, reads: FakeStore, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "adapters.grpc.health")
    reads.failure = Unavailable("down")
    await settle(servicer, {"reads": NOT_SERVING, "": NOT_SERVING})
    reads.failure = None
    await settle(servicer, {"reads": SERVING, "": SERVING, "writes": SERVING})
    await asyncio.sleep(INTERVAL * 10)
    assert lines(caplog, logging.INFO) == ["reads is SERVING again"]
    assert len(lines(caplog, logging.WARNING)) == 1


@pytest.mark.usefixtures("watch")
async def test_a_probe_that_hangs_counts_as_down_after_the_timeout(
    servicer: health.aio.HealthServicer, reads: FakeStore, caplog: pytest.LogCaptureFixture
) -> None:
    reads.hangs = True
    began = time.monotonic()
    await settle(servicer, {"reads": NOT_SERVING, "": NOT_SERVING})
    assert time.monotonic() - began >= TIMEOUT
    assert lines(caplog, logging.WARNING) == [
        f"reads is NOT_SERVING: TimeoutError('no answer within {TIMEOUT:g} s')"
    ]


async def test_the_server_is_serving_only_while_every_service_is(
    servicer: health.aio.HealthServicer,
) -> None:
    reads, writes = FakeStore(), FakeStore()
    watch = HealthWatch(servicer, {"reads": reads.ping, "writes": writes.ping})
    reads.failure = writes.failure = Unavailable("down")
    await watch.check()
    reads.failure = None
    await watch.check()
    assert [await status(servicer, name) for name in ("reads", "writes", "")] == [
        SERVING,
        NOT_SERVING,
        NOT_SERVING,
    ]
    writes.failure = None
    await watch.check()
    assert await status(servicer, "") == SERVING


async def test_stopping_during_a_hanging_probe_returns_at_once(
    servicer: health.aio.HealthServicer,
) -> None:
    store = FakeStore()
    store.hangs = True
    watch = HealthWatch(servicer, {"reads": store.ping}, timeout=60)
    watch.start()
    await asyncio.sleep(INTERVAL)
    await asyncio.wait_for(watch.stop(), 1.0)
