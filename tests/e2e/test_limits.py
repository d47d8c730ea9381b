"""Limits that protect everyone, on the servers as configured for them (embedded stack:
the limits live in the gRPC layer both stacks share)."""

import asyncio
import concurrent.futures
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import grpc
import pytest

from harness.system import System, running_system
from techbank.account.v1 import commands_pb2 as c
from techbank.account.v1 import queries_pb2 as q
from tests.e2e.helpers import SAVINGS, open_account

WAIT_CAP_SECONDS = 1.0
MAX_CALLS = 8


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    env = {
        "TECHBANK_MAX_WAIT_SECONDS": str(WAIT_CAP_SECONDS),
        "TECHBANK_MAX_CONCURRENT_CALLS": str(MAX_CALLS),
    }
    with running_system("embedded", tmp_path_factory.mktemp("limits"), env) as system:
        yield system


def test_a_request_beyond_the_receive_limit_is_refused(limited: System) -> None:
    request = c.OpenAccountRequest(holder="x" * 70_000, account_type=SAVINGS)
    with pytest.raises(grpc.RpcError) as raised:
        limited.commands.OpenAccount(request, timeout=10)
    assert raised.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED


def test_a_min_version_wait_is_capped_whatever_the_deadline(limited: System) -> None:
    account_id = open_account(limited.commands).account_id
    query = q.FindAccountByIdRequest(account_id=account_id, min_version=99)
    started = time.monotonic()
    with pytest.raises(grpc.RpcError) as raised:
        limited.queries.FindAccountById(query, timeout=3600)
    assert raised.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    assert "version 99" in str(raised.value.details())
    assert time.monotonic() - started < WAIT_CAP_SECONDS + 5


def test_calls_beyond_the_concurrency_cap_are_refused(limited: System) -> None:
    waits = [
        q.FindAccountByIdRequest(account_id=str(uuid.uuid4()), min_version=1)
        for _ in range(MAX_CALLS * 3)
    ]
    barrier = threading.Barrier(len(waits))

    def wait(query: Any) -> grpc.StatusCode:
        barrier.wait()
        try:
            limited.queries.FindAccountById(query, timeout=30)
        except grpc.RpcError as error:
            return error.code()
        return grpc.StatusCode.OK

    with concurrent.futures.ThreadPoolExecutor(len(waits)) as pool:
        codes = list(pool.map(wait, waits))
    assert codes.count(grpc.StatusCode.RESOURCE_EXHAUSTED) >= len(waits) - MAX_CALLS
    assert set(codes) <= {grpc.StatusCode.RESOURCE_EXHAUSTED, grpc.StatusCode.DEADLINE_EXCEEDED}


# What the servers accept between calls; gRPC's default answers pings more often than
# every 5 minutes with GOAWAY too_many_pings (a Go client pinging every 10 s: at 30 s).
KEEPALIVE_FLOOR_MS = 5_000


async def connection_changes(address: str, ping_ms: int, idle_seconds: float) -> list[str]:
    """Ping `address` every `ping_ms` while idle after one call (gRPC C-core counts as
    pings without data what Go and Node clients send); the connectivity changes seen."""
    options = [
        ("grpc.keepalive_time_ms", ping_ms),
        ("grpc.keepalive_permit_without_calls", 1),
        ("grpc.http2.max_pings_without_data", 0),
    ]
    async with grpc.aio.insecure_channel(address, options=options) as channel:
        await channel.channel_ready()
        changes: list[str] = []
        state = channel.get_state()
        try:
            async with asyncio.timeout(idle_seconds):
                while True:
                    await channel.wait_for_state_change(state)
                    state = channel.get_state()
                    changes.append(state.name)
        except TimeoutError:
            return changes


def test_keepalive_pings_every_five_seconds_are_accepted_between_calls(limited: System) -> None:
    # gRPC counts a ping that comes too soon as a strike and sends GOAWAY at the third:
    # 22 s holds the fourth ping of a 5 s client (the first is never a strike).
    servers = [limited.env["TECHBANK_COMMAND_ADDRESS"], limited.env["TECHBANK_QUERY_ADDRESS"]]

    async def probes() -> list[list[str]]:
        return await asyncio.gather(
            *(connection_changes(a, KEEPALIVE_FLOOR_MS, idle_seconds=22) for a in servers),
            *(connection_changes(a, 1_000, idle_seconds=6) for a in servers),
        )

    changes = asyncio.run(probes())
    assert changes[:2] == [[], []], "a connection pinging every 5 s was dropped"
    assert all(changes[2:]), "pings every second were not refused: the probe sees nothing"
