"""Exactly-once effect, and no lost update, under crashes and concurrency."""

import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import grpc

from harness.processes import ServerProcess, free_port
from harness.system import System, env_beside
from techbank.account.v1 import commands_pb2, commands_pb2_grpc
from tests.e2e.helpers import open_account, read
from tests.faults.helpers import TIMEOUT, check, deposit_many, wait_for_log

KILLS = 5
ASSIGNED = "assigned partitions"
BATCH = 300  # deposits sent between two looks at whether the kills are done


def test_a_projector_killed_again_and_again_still_counts_every_cent_once(
    real_system: System,
) -> None:
    accounts = [open_account(real_system.commands, cents=0).account_id for _ in range(50)]
    projector = real_system.process("projector")
    killed = threading.Event()

    def kill_repeatedly() -> None:
        for incarnation in range(1, KILLS + 1):
            wait_for_log(projector, ASSIGNED, times=incarnation)  # it is consuming again
            time.sleep(0.5)
            projector.kill()  # SIGKILL: no clean shutdown, no last commit
            projector.start()
        killed.set()

    killer = threading.Thread(target=kill_repeatedly)
    killer.start()
    deposits: Counter[str] = Counter()
    try:
        while not killed.is_set():  # deposits keep coming for as long as the kills go on
            targets = [accounts[i % len(accounts)] for i in range(BATCH)]
            deposit_many(real_system, targets)
            deposits.update(targets)
    finally:
        killer.join()
    wait_for_log(projector, ASSIGNED, times=KILLS + 1)
    checked = check(real_system, settle_seconds=60)
    assert checked.returncode == 0, checked.stdout[-3000:]
    for account_id, count in deposits.items():
        assert read(real_system.queries, account_id, count + 1).balance_cents == count


def test_two_command_servers_never_overdraw_nor_lose_a_withdrawal(real_system: System) -> None:
    account_id = open_account(real_system.commands, cents=100).account_id
    address = f"127.0.0.1:{free_port()}"
    second = ServerProcess(
        "command_server",
        env_beside(real_system.env, TECHBANK_COMMAND_ADDRESS=address),
        real_system.process("command_server").log_path.with_name("second.log"),
        address,
    ).start()
    try:
        with grpc.insecure_channel(address) as channel:
            stubs = [real_system.commands, commands_pb2_grpc.AccountCommandServiceStub(channel)]
            codes = _withdraw_concurrently(stubs, account_id, attempts=200)
    finally:
        second.kill()
    assert codes == {"OK": 100, "FAILED_PRECONDITION": 100}
    final = read(real_system.queries, account_id, 101)
    assert (final.balance_cents, final.version) == (0, 101)
    assert check(real_system, settle_seconds=30).returncode == 0


def _withdraw_concurrently(
    stubs: list[commands_pb2_grpc.AccountCommandServiceStub], account_id: str, attempts: int
) -> Counter[str]:
    start = threading.Barrier(50)
    request = commands_pb2.WithdrawFundsRequest(account_id=account_id, amount_cents=1)

    def withdraw(i: int) -> str:
        if i < 50:
            start.wait()  # the first fifty leave together
        try:
            stubs[i % len(stubs)].WithdrawFunds(request, timeout=TIMEOUT)
        except grpc.RpcError as error:
            return str(error.code().name)
        return "OK"

    began = time.monotonic()
    with ThreadPoolExecutor(50) as pool:
        codes = Counter(pool.map(withdraw, range(attempts)))
    assert time.monotonic() - began < TIMEOUT
    return codes
