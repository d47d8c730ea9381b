"""Stream limits on a real in-process gRPC server whose clients do not read."""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest

from adapters.grpc.limits import StreamGate, StreamLimits

METHOD = "/test.Endless/Stream"
CHUNK = b"x" * 65536
STALL_SECONDS = 0.5


async def endless(request: bytes, context: Any) -> AsyncIterator[bytes]:
    for _ in range(100_000):  # 6 GiB: far beyond any window or buffer
        yield CHUNK


@contextlib.asynccontextmanager
async def endless_server(limits: StreamLimits, host: str) -> AsyncIterator[int]:
    """A server of endless streams through a StreamGate with `limits`; its port."""
    server = grpc.aio.server()
    handler: Any = grpc.unary_stream_rpc_method_handler(StreamGate(limits).limited(endless))
    server.add_generic_rpc_handlers(
        (grpc.method_handlers_generic_handler("test.Endless", {"Stream": handler}),)
    )
    port = server.add_insecure_port(f"{host}:0")
    await server.start()
    try:
        yield port
    finally:
        await server.stop(None)


@pytest.fixture
async def address() -> AsyncIterator[str]:
    async with endless_server(StreamLimits(2, STALL_SECONDS, per_client=2), "127.0.0.1") as port:
        yield f"127.0.0.1:{port}"


@pytest.fixture
async def channel(address: str) -> AsyncIterator[grpc.aio.Channel]:
    async with grpc.aio.insecure_channel(address) as opened:
        yield opened


def _stream(channel: grpc.aio.Channel) -> Any:
    return channel.unary_stream(METHOD)


async def started(channel: grpc.aio.Channel) -> Any:
    """A stream whose first message arrived and whose client then reads no more."""
    call: Any = _stream(channel)(b"")
    assert await call.read() == CHUNK
    return call


async def admitted(channel: grpc.aio.Channel) -> Any:
    while True:
        try:
            return await started(channel)
        except grpc.aio.AioRpcError as refused:
            assert refused.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
            await asyncio.sleep(STALL_SECONDS)


async def code_of(call: Any) -> grpc.StatusCode:
    try:
        while await call.read() is not grpc.aio.EOF:
            pass
    except grpc.aio.AioRpcError as error:
        return error.code()
    return grpc.StatusCode.OK


async def test_streams_beyond_the_cap_are_refused_at_once(channel: grpc.aio.Channel) -> None:
    held = [await started(channel), await started(channel)]
    third: Any = _stream(channel)(b"")
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await third.read()
    assert raised.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert "too many streams open on this server" in str(raised.value.details())
    for call in held:
        call.cancel()


@pytest.mark.parametrize("connections", [1, 2])
async def test_a_stream_its_client_does_not_read_is_ended(
    channel: grpc.aio.Channel, address: str, connections: int
) -> None:
    async with grpc.aio.insecure_channel(address) as other:
        stalled = [await started(channel), await started(other if connections == 2 else channel)]
        fresh = await asyncio.wait_for(admitted(channel), 30)  # the stalled gave back places
        fresh.cancel()
        for call in stalled:
            assert await asyncio.wait_for(code_of(call), 30) == grpc.StatusCode.RESOURCE_EXHAUSTED


async def test_a_stream_read_steadily_runs_to_its_end(channel: grpc.aio.Channel) -> None:
    call: Any = _stream(channel)(b"")
    for _ in range(200):
        assert await call.read() == CHUNK
        await asyncio.sleep(0.001)
    call.cancel()


async def test_one_client_cannot_hold_every_stream() -> None:
    """Clients without authentication are told apart by host: 127.0.0.1 and ::1."""
    async with (
        endless_server(StreamLimits(3, STALL_SECONDS, per_client=2), "[::]") as port,
        grpc.aio.insecure_channel(f"127.0.0.1:{port}") as greedy,
        grpc.aio.insecure_channel(f"[::1]:{port}") as other,
    ):
        held = [await started(greedy), await started(greedy)]
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await started(greedy)
        assert raised.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert "too many streams open for this client (at most 2)" in str(raised.value.details())
        held.append(await started(other))
        for call in held:
            call.cancel()
