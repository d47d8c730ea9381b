"""Limits that protect everyone, on the servers as configured for them (embedded stack:
the limits live in the gRPC layer both stacks share)."""

import concurrent.futures
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import grpc
import pytest

from techbank.account.v1 import commands_pb2 as c
from techbank.account.v1 import queries_pb2 as q
from tests.e2e.helpers import SAVINGS, open_account
from tests.support.system import System, running_system

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
    request = c.OpenAccountCommand(holder="x" * 70_000, account_type=SAVINGS)
    with pytest.raises(grpc.RpcError) as raised:
        limited.commands.OpenAccount(request, timeout=10)
    assert raised.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED


def test_a_min_version_wait_is_capped_whatever_the_deadline(limited: System) -> None:
    account_id = open_account(limited.commands).account_id
    query = q.FindAccountByIdQuery(account_id=account_id, min_version=99)
    started = time.monotonic()
    with pytest.raises(grpc.RpcError) as raised:
        limited.queries.FindAccountById(query, timeout=3600)
    assert raised.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    assert "version 99" in str(raised.value.details())
    assert time.monotonic() - started < WAIT_CAP_SECONDS + 5


def test_calls_beyond_the_concurrency_cap_are_refused(limited: System) -> None:
    waits = [
        q.FindAccountByIdQuery(account_id=str(uuid.uuid4()), min_version=1)
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
