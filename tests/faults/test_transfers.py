"""Transfers on the real stack under faults: the process driving them killed between
steps, Kafka down mid-transfer, a thousand at once around a ring. Every transfer ends
completed or refused, the books balance (command_server.ledger), and the read model is
the fold of the event store (projector.check)."""

import random
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import grpc
import pytest

from harness.processes import ServerProcess, free_port
from harness.servers import server_down
from harness.system import System, env_beside
from techbank.account.v1 import transfers_pb2, transfers_pb2_grpc
from tests.e2e.helpers import open_account, read
from tests.faults.helpers import TIMEOUT, check

T = transfers_pb2
SETTLE_SECONDS = 90
ENDED = {T.TRANSFER_STATUS_COMPLETED, T.TRANSFER_STATUS_REFUSED}


def ask_transfer(
    stub: transfers_pb2_grpc.TransferServiceStub, source: str, target: str, cents: int
) -> T.Transfer:
    request = T.TransferFundsRequest(
        source_account_id=source,
        target_account_id=target,
        amount_cents=cents,
        request_id=str(uuid.uuid4()),
    )
    answer: T.TransferFundsResponse = stub.TransferFunds(request, timeout=TIMEOUT)
    return answer.transfer


def ended(system: System, transfer_id: str, seconds: float = 60.0) -> T.Transfer:
    """The transfer once it has ended, asking the system's command server."""
    deadline = time.monotonic() + seconds
    while True:
        found = system.transfers.GetTransfer(
            T.GetTransferRequest(transfer_id=transfer_id), timeout=TIMEOUT
        )
        if found.transfer.status in ENDED:
            return found.transfer
        assert time.monotonic() < deadline, f"transfer still {found.transfer}"
        time.sleep(0.2)


def books_balance(system: System) -> str:
    ledger = system.run_tool("command_server.ledger")
    assert ledger.returncode == 0, ledger.stdout[-3000:] + ledger.stderr[-3000:]
    return ledger.stdout


def doomed_server(system: System, kill_after: str, **changes: str) -> ServerProcess:
    """A second command server beside the system's (its environment with `changes`),
    which kills itself (SIGKILL) right after it first appends an event of type
    `kill_after`."""
    address = f"127.0.0.1:{free_port()}"
    env = env_beside(
        system.env,
        TECHBANK_COMMAND_ADDRESS=address,
        TECHBANK_FAULT_KILL_AFTER_EVENT=kill_after,
        **changes,
    )
    serving = system.process("command_server")  # `embedded` on the embedded stack
    log = serving.log_path.with_name(f"doomed-{kill_after}.log")
    return ServerProcess(serving.module, env, log, address).start()


def ask_and_see_it_die(doomed: ServerProcess, source: str, target: str) -> None:
    """Ask the doomed server for a transfer; it dies before answering."""
    assert doomed.address is not None
    with grpc.insecure_channel(doomed.address) as channel:
        stub = transfers_pb2_grpc.TransferServiceStub(channel)
        with pytest.raises(grpc.RpcError) as died:
            ask_transfer(stub, source, target, 300)
        assert died.value.code() == grpc.StatusCode.UNAVAILABLE
    assert doomed.process is not None and doomed.process.wait(10) == -9


@pytest.mark.parametrize("kill_after", ["TransferRequested", "FundsWithdrawn", "TransferDebited"])
def test_a_transfer_whose_server_is_killed_between_steps_is_finished_by_another(
    real_system: System, kill_after: str
) -> None:
    source = open_account(real_system.commands, cents=1_000).account_id
    target = open_account(real_system.commands).account_id
    # Alone, the doomed server takes every step itself: the other would otherwise hear
    # of the transfer on the bus and may take the step first.
    survivor = real_system.process("command_server")
    assert survivor.stop() == 0
    doomed = doomed_server(real_system, kill_after)
    try:
        ask_and_see_it_die(doomed, source, target)
    finally:
        doomed.kill()
    survivor.start()
    # The restarted server publishes what the dead one appended (its outbox sweep), and
    # drives the transfer it hears of on the bus to its end.
    assert (
        read(
            real_system.queries,
            target,
            2,
        ).balance_cents
        == 300
    )
    assert read(real_system.queries, source, 2).balance_cents == 700
    output = books_balance(real_system)
    assert "1 transfer(s), 0 under way, 0 cents in flight, 0 problem(s)" in output
    assert check(real_system, SETTLE_SECONDS).returncode == 0


@pytest.mark.serial  # stops Kafka, which every other test uses: runs alone (Makefile: test)
def test_transfers_during_a_kafka_outage_end_and_reach_the_read_model(
    real_system: System,
) -> None:
    ring = [open_account(real_system.commands, cents=1_000).account_id for _ in range(4)]
    with server_down("kafka"):
        done = [
            ask_transfer(real_system.transfers, ring[i % 4], ring[(i + 1) % 4], 100 + i)
            for i in range(20)
        ]
    assert {transfer.status for transfer in done} == {T.TRANSFER_STATUS_COMPLETED}
    books_balance(real_system)
    checked = check(real_system, SETTLE_SECONDS)
    assert checked.returncode == 0, checked.stdout[-3000:]
    assert sum(read(real_system.queries, a, 11).balance_cents for a in ring) == 4_000


def test_a_thousand_concurrent_transfers_around_a_ring_all_end_and_balance(
    real_system: System,
) -> None:
    ring = [open_account(real_system.commands, cents=5_000).account_id for _ in range(10)]
    rng = random.Random(7)
    asked = [(ring[i % 10], ring[(i + 1) % 10], rng.randint(1, 2_000)) for i in range(1_000)]
    with ThreadPoolExecutor(32) as pool:
        done = list(pool.map(lambda t: ask_transfer(real_system.transfers, *t), asked))
    statuses = [transfer.status for transfer in done]
    assert set(statuses) <= ENDED | {T.TRANSFER_STATUS_PENDING}
    final = [ended(real_system, transfer.transfer_id) for transfer in done]
    completed = sum(1 for transfer in final if transfer.status == T.TRANSFER_STATUS_COMPLETED)
    refused = [t.refusal_reason for t in final if t.status == T.TRANSFER_STATUS_REFUSED]
    assert completed + len(refused) == 1_000 and set(refused) <= {"INSUFFICIENT_FUNDS"}
    assert "1000 transfer(s), 0 under way, 0 cents in flight, 0 problem(s)" in books_balance(
        real_system
    )
    checked = check(real_system, SETTLE_SECONDS)
    assert checked.returncode == 0, checked.stdout[-3000:]
