"""Health tells the truth: a server's service is NOT_SERVING while a store it needs is down,
SERVING again once it is back, and unmoved by the stores it does not need."""

import time
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from harness.processes import ServerProcess
from harness.servers import mongo_backend_down, server_down
from harness.system import System, running_system
from techbank.account.v1 import commands_pb2, queries_pb2
from tests.faults.helpers import deposit, projected_account, status_of, write_locked

# It stops and starts the shared servers: it runs alone, after the rest (Makefile: test).
pytestmark = pytest.mark.serial

COMMANDS = commands_pb2.DESCRIPTOR.services_by_name["AccountCommandService"].full_name
QUERIES = queries_pb2.DESCRIPTOR.services_by_name["AccountQueryService"].full_name
SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING
# A probe is given 2 s and runs every second: down within 3 s, with room for a busy machine.
DOWN_SECONDS = 8.0
# Back once the store answers again; clients reconnect on their own schedule.
BACK_SECONDS = 30.0


def health(address: str, service: str) -> int:
    with grpc.insecure_channel(address) as channel:
        request = health_pb2.HealthCheckRequest(service=service)
        return int(health_pb2_grpc.HealthStub(channel).Check(request, timeout=5).status)


def wait_for_health(address: str, service: str, status: int, seconds: float) -> None:
    """Block until both `service` and the server as a whole ("") answer `status`."""
    deadline = time.monotonic() + seconds
    while [health(address, service), health(address, "")] != [status, status]:
        named = health_pb2.HealthCheckResponse.ServingStatus.Name(status)
        assert time.monotonic() < deadline, f"{service} not {named} after {seconds} s"
        time.sleep(0.1)


def assert_logged_once(process: ServerProcess, service: str) -> None:
    """One line going down, one coming back, however many probes ran; no URL in them."""
    lines = process.log_path.read_text(errors="replace").splitlines()
    down = [line for line in lines if f"{service} is NOT_SERVING" in line]
    back = [line for line in lines if f"{service} is SERVING again" in line]
    assert (len(down), len(back)) == (1, 1), process.log_tail()
    assert " WARNING " in down[0] and "://" not in down[0], down[0]


# Each server: the variable holding its address, and its service's name.
SIDES = {
    "command_server": ("TECHBANK_COMMAND_ADDRESS", COMMANDS),
    "query_server": ("TECHBANK_QUERY_ADDRESS", QUERIES),
}


@pytest.mark.parametrize(
    ("stopped", "needs_it", "unmoved"),
    [("mongo", "command_server", "query_server"), ("mysql", "query_server", "command_server")],
)
def test_a_server_is_not_serving_while_its_store_is_down(
    real_system: System, stopped: str, needs_it: str, unmoved: str
) -> None:
    """`needs_it` goes NOT_SERVING while `stopped` is down and back after; `unmoved`
    does not need that store and stays SERVING."""
    address, service = real_system.env[SIDES[needs_it][0]], SIDES[needs_it][1]
    other_address, other_service = real_system.env[SIDES[unmoved][0]], SIDES[unmoved][1]
    with server_down(stopped):
        wait_for_health(address, service, NOT_SERVING, DOWN_SECONDS)
        time.sleep(3.0)  # several more failed probes
        assert health(other_address, other_service) == SERVING
    wait_for_health(address, service, SERVING, BACK_SECONDS)
    assert_logged_once(real_system.process(needs_it), service)


def test_the_command_server_is_not_serving_while_ferretdbs_postgresql_is_down(
    real_system: System,
) -> None:
    """The MongoDB server answers, but cannot reach the events: the probe reads them."""
    commands = real_system.env["TECHBANK_COMMAND_ADDRESS"]
    with mongo_backend_down():
        wait_for_health(commands, COMMANDS, NOT_SERVING, DOWN_SECONDS)
    wait_for_health(commands, COMMANDS, SERVING, BACK_SECONDS)


def test_the_embedded_command_server_is_not_serving_while_its_event_store_is_locked(
    tmp_path: Path,
) -> None:
    """Another process holding the SQLite file's write lock stops every command, not the
    queries: WAL readers never wait for it."""
    with running_system("embedded", tmp_path) as system:
        commands = system.env["TECHBANK_COMMAND_ADDRESS"]
        account_id = projected_account(system)
        with write_locked(tmp_path / "events.db"):
            wait_for_health(commands, COMMANDS, NOT_SERVING, DOWN_SECONDS)
            refused = status_of(lambda: deposit(system, account_id))
            assert refused == grpc.StatusCode.UNAVAILABLE
            assert health(system.env["TECHBANK_QUERY_ADDRESS"], QUERIES) == SERVING
        wait_for_health(commands, COMMANDS, SERVING, BACK_SECONDS)
        assert deposit(system, account_id) == 2
        assert_logged_once(system.process("command_server"), COMMANDS)
