"""Exactly-once effect, and no lost update, under crashes and concurrency."""

import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import grpc

from techbank.account.v1 import commands_pb2, commands_pb2_grpc
from tests.e2e.helpers import open_account, read
from tests.faults.helpers import TIMEOUT, check, deposit_many
from tests.support.processes import ServerProcess, free_port
from tests.support.system import System

KILLS = 5
EVENTS = 3000


def test_a_projector_killed_again_and_again_still_counts_every_cent_once(
    real_system: System,
) -> None:
    accounts = [open_account(real_system.commands, cents=0).account_id for _ in range(50)]
    targets = [accounts[i % len(accounts)] for i in range(EVENTS)]
    projector = real_system.process("projector")
    done = threading.Event()

    def kill_repeatedly() -> None:
        for _ in range(KILLS):
            if done.wait(1.5):
                return
            projector.kill()  # SIGKILL: no clean shutdown, no last commit
            projector.start()

    killer = threading.Thread(target=kill_repeatedly)
    killer.start()
    try:
        deposit_many(real_system, targets)
    finally:
        done.set()
        killer.join()
    assert projector.log_path.read_text().count("projector consuming") >= 2
    checked = check(real_system, settle_seconds=60)
    assert checked.returncode == 0, checked.stdout[-3000:]
    for account_id, count in Counter(targets).items():
        assert read(real_system.queries, account_id, count + 1).balance_cents == count


def test_two_command_servers_never_overdraw_nor_lose_a_withdrawal(real_system: System) -> None:
    account_id = open_account(real_system.commands, cents=100).account_id
    address = f"127.0.0.1:{free_port()}"
    second = ServerProcess(
        "command_server",
        {**real_system.env, "TECHBANK_COMMAND_ADDRESS": address},
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
    request = commands_pb2.WithdrawFundsCommand(account_id=account_id, amount_cents=1)

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
