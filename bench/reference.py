"""The yardstick legs: a bare gRPC echo server, measured with the same client shape.

Every Techbank figure is printed as a ratio to these, measured in the same run, so that
a noisy shared machine moves both sides of each ratio together.
"""

import asyncio
import sys
from functools import partial

import grpc

from bench.cpu import process_seconds
from bench.echo_server import STREAM, UNARY
from bench.load import closed_loop
from bench.results import Config, Figures, Results, record_calls
from harness.processes import REPO, free_port
from techbank.account.v1 import queries_pb2

CALL_TIMEOUT = 10.0
SCENARIO = "Reference: a bare grpc.aio server (no work at all)"


async def echo_legs(cfg: Config, results: Results, figures: Figures) -> None:
    """Unary echo with `cfg.clients` clients; pages streamed to one and to `cfg.clients`."""
    port = free_port()
    server = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.echo_server", str(port), str(cfg.page_size), cwd=REPO
    )
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            await asyncio.wait_for(channel.channel_ready(), CALL_TIMEOUT)
            await _unary(channel, cfg, results, figures, server.pid)
            for clients in (1, cfg.clients):
                await _stream(channel, cfg, clients, results, figures)
    finally:
        server.terminate()
        await server.wait()


async def _unary(
    channel: grpc.aio.Channel, cfg: Config, results: Results, figures: Figures, pid: int
) -> None:
    echo: grpc.aio.UnaryUnaryMultiCallable[bytes, bytes] = channel.unary_unary(UNARY)
    cpu_before = process_seconds(pid)
    measured = await closed_loop(
        lambda _: partial(echo, b"x" * 48, timeout=CALL_TIMEOUT), cfg.clients, cfg.seconds
    )
    record_calls(results, f"{SCENARIO}: unary echo, {cfg.clients} clients", measured)
    figures["echo"] = measured.rate
    if measured.ok:  # the echo server's CPU per call: what gRPC alone costs a server
        figures["echo cpu ms"] = (process_seconds(pid) - cpu_before) * 1000 / measured.ok


async def _stream(
    channel: grpc.aio.Channel, cfg: Config, clients: int, results: Results, figures: Figures
) -> None:
    """Each client streams, again and again, as many pages as a scan of all accounts takes."""
    pages: grpc.aio.UnaryStreamMultiCallable[bytes, queries_pb2.FindAllAccountsResponse] = (
        channel.unary_stream(
            STREAM, response_deserializer=queries_pb2.FindAllAccountsResponse.FromString
        )
    )
    per_scan = str(-(-cfg.accounts // cfg.page_size)).encode()
    streamed = 0

    async def scan() -> None:
        nonlocal streamed
        async for page in pages(per_scan, timeout=CALL_TIMEOUT):
            streamed += len(page.accounts)

    measured = await closed_loop(lambda _: scan, clients, cfg.seconds)
    accounts_per_second = streamed / measured.elapsed
    scenario = f"{SCENARIO}: pages of {cfg.page_size} accounts streamed to {clients} client(s)"
    results[scenario, "throughput"] = f"{accounts_per_second:,.0f} accounts/s"
    results[scenario, "errors"] = measured.error_summary()
    figures[f"echo stream, {clients} client(s)"] = accounts_per_second
