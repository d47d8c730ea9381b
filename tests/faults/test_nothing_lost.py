"""No dual-write loss: events that were appended reach the read model, whatever failed."""

import random

import grpc
import pytest

from harness.processes import ServerProcess, free_port
from harness.servers import server_down
from harness.system import System, env_beside
from techbank.account.v1 import commands_pb2, commands_pb2_grpc
from tests.e2e.helpers import open_account, read
from tests.faults.helpers import TIMEOUT, check, deposit, deposit_many

# It stops and starts the shared servers: it runs alone, after the rest (Makefile: test).
pytestmark = pytest.mark.serial

SETTLE_SECONDS = 90


def test_commands_during_a_kafka_outage_all_reach_the_read_model(real_system: System) -> None:
    accounts = [open_account(real_system.commands, cents=0).account_id for _ in range(20)]
    targets = [random.choice(accounts) for _ in range(500)]
    with server_down("kafka"):
        versions = deposit_many(real_system, targets)
    assert len(versions) == 500
    checked = check(real_system, SETTLE_SECONDS)
    assert checked.returncode == 0, checked.stdout[-3000:]
    for account_id in accounts:
        expected = targets.count(account_id)
        assert read(real_system.queries, account_id, expected + 1).balance_cents == expected


def test_an_event_appended_by_a_server_killed_before_publishing_still_arrives(
    real_system: System,
) -> None:
    account_id = open_account(real_system.commands, cents=0).account_id
    address = f"127.0.0.1:{free_port()}"
    doomed = ServerProcess(
        "command_server",
        env_beside(
            real_system.env,
            TECHBANK_COMMAND_ADDRESS=address,
            TECHBANK_FAULT_KILL_AFTER_APPEND="1",
        ),
        real_system.process("command_server").log_path.with_name("doomed.log"),
        address,
    ).start()
    try:
        with grpc.insecure_channel(address) as channel:
            stub = commands_pb2_grpc.AccountCommandServiceStub(channel)
            request = commands_pb2.DepositFundsRequest(account_id=account_id, amount_cents=42)
            try:
                stub.DepositFunds(request, timeout=TIMEOUT)
                raise AssertionError("the fault hook should have killed the server")
            except grpc.RpcError as error:
                assert error.code() == grpc.StatusCode.UNAVAILABLE
        assert doomed.process is not None and doomed.process.wait(10) == -9
    finally:
        doomed.kill()
    # The surviving command server's outbox sweep publishes what the dead one appended.
    assert read(real_system.queries, account_id, 2).balance_cents == 42
    assert deposit(real_system, account_id) == 3


def test_a_command_server_started_while_kafka_is_down_serves_and_delivers_later(
    real_system: System,
) -> None:
    account_id = open_account(real_system.commands, cents=0).account_id
    command_server = real_system.process("command_server")
    assert command_server.stop() == 0
    with server_down("kafka"):
        command_server.start()  # answers health checks without Kafka
        for _ in range(5):
            deposit(real_system, account_id, 2)
    assert read(real_system.queries, account_id, 6).balance_cents == 10
    assert check(real_system, SETTLE_SECONDS).returncode == 0
