"""Clean failure: while a store is down calls fail fast with UNAVAILABLE, nothing is
half-written, and service resumes without a restart when it returns."""

import time

import grpc
import pytest

from harness.servers import mongo_backend_down, server_down
from harness.system import System
from techbank.account.v1 import commands_pb2, queries_pb2
from tests.e2e.helpers import open_account, read, scrape, value
from tests.faults.helpers import (
    check,
    deposit,
    projected_account,
    status_of,
    stop_promptly,
    wait_for_log,
)

# It stops and starts the shared servers: it runs alone, after the rest (Makefile: test).
pytestmark = pytest.mark.serial

FAST_SECONDS = 8.0


def _timed_status(call: object) -> tuple[grpc.StatusCode | None, float]:
    began = time.monotonic()
    code = status_of(call)
    return code, time.monotonic() - began


def test_event_store_outage_answers_unavailable_then_resumes(real_system: System) -> None:
    account_id = open_account(real_system.commands, cents=10).account_id
    request = commands_pb2.DepositFundsRequest(account_id=account_id, amount_cents=5)
    with server_down("mongo"):
        code, seconds = _timed_status(
            lambda: real_system.commands.DepositFunds(request, timeout=30)
        )
        assert code == grpc.StatusCode.UNAVAILABLE
        assert seconds < FAST_SECONDS
    assert deposit(real_system, account_id, 5) == 2  # the refused deposit left no trace
    assert read(real_system.queries, account_id, 2).balance_cents == 15


def test_a_failure_behind_the_mongodb_server_answers_unavailable(real_system: System) -> None:
    """FerretDB up, its PostgreSQL down: the server answers errors, not a lost connection."""
    account_id = open_account(real_system.commands, cents=10).account_id
    request = commands_pb2.DepositFundsRequest(account_id=account_id, amount_cents=5)
    with mongo_backend_down():
        code, seconds = _timed_status(
            lambda: real_system.commands.DepositFunds(request, timeout=30)
        )
        assert code == grpc.StatusCode.UNAVAILABLE
        assert seconds < FAST_SECONDS
    assert deposit(real_system, account_id, 5) == 2


def test_read_database_outage_answers_unavailable_and_the_projector_catches_up(
    real_system: System,
) -> None:
    account_id = open_account(real_system.commands, cents=0).account_id
    read(real_system.queries, account_id, 1)
    query = queries_pb2.FindAccountByIdRequest(account_id=account_id)
    with server_down("mysql"):
        code, seconds = _timed_status(
            lambda: real_system.queries.FindAccountById(query, timeout=30)
        )
        assert code == grpc.StatusCode.UNAVAILABLE
        assert seconds < FAST_SECONDS
        assert deposit(real_system, account_id, 7) == 2  # the write side does not need MySQL
    assert read(real_system.queries, account_id, 2).balance_cents == 7
    assert check(real_system, settle_seconds=30).returncode == 0
    env = real_system.env
    queries = scrape(env["TECHBANK_QUERY_METRICS_ADDRESS"])
    projector = scrape(env["TECHBANK_PROJECTOR_METRICS_ADDRESS"])
    assert value(queries, "techbank_store_errors_total", where="rpc") >= 1
    assert value(projector, "techbank_store_errors_total", where="projector") >= 1


def test_sigterm_lets_an_in_flight_call_finish(real_system: System) -> None:
    account_id = open_account(real_system.commands, cents=0).account_id
    waiting = real_system.queries.FindAccountById.future(
        queries_pb2.FindAccountByIdRequest(account_id=account_id, min_version=2), timeout=30
    )
    time.sleep(0.5)  # the call is in flight, waiting for version 2
    query_server = real_system.process("query_server")
    assert query_server.process is not None
    query_server.process.terminate()
    deposit(real_system, account_id, 3)
    assert waiting.result().account.balance_cents == 3
    assert query_server.process.wait(15) == 0
    query_server.start()


def test_sigterm_stops_the_projector_cleanly_and_it_resumes_where_it_stopped(
    real_system: System,
) -> None:
    account_id = open_account(real_system.commands, cents=0).account_id
    read(real_system.queries, account_id, 1)
    projector = real_system.process("projector")
    assert projector.stop() == 0
    assert "projector stopped" in projector.log_tail()
    for _ in range(20):
        deposit(real_system, account_id, 1)
    projector.start()
    assert read(real_system.queries, account_id, 21).balance_cents == 20


def test_sigterm_stops_the_projector_promptly_while_its_read_database_is_down(
    real_system: System,
) -> None:
    account_id = projected_account(real_system)
    projector = real_system.process("projector")
    with server_down("mysql"):
        deposit(real_system, account_id, 1)
        wait_for_log(projector, "transaction failed")  # it is retrying the batch
        stop_promptly(projector, FAST_SECONDS)
    projector.start()
    assert read(real_system.queries, account_id, 2).balance_cents == 1


def test_the_projector_waits_for_kafka_at_start_and_stops_promptly_meanwhile(
    real_system: System,
) -> None:
    account_id = projected_account(real_system)
    projector = real_system.process("projector")
    assert projector.stop() == 0
    with server_down("kafka"):
        projector.start()
        wait_for_log(projector, "cannot start yet")
        stop_promptly(projector, FAST_SECONDS)
        projector.start()  # left waiting for Kafka
        deposit(real_system, account_id, 4)
    assert check(real_system, settle_seconds=60).returncode == 0
    assert read(real_system.queries, account_id, 2).balance_cents == 4
