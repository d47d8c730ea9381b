"""Several of each process on one real stack: projectors joining and killed at random
under load, three command servers taking commands for the same accounts, several query
servers answering read-your-write. The read model must end equal to the fold of the
event store, no update lost, no overdraft, each request decided once."""

import itertools
import random
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import grpc

from harness.processes import ServerProcess
from harness.system import System, env_beside, servers_beside
from techbank.account.v1 import commands_pb2, commands_pb2_grpc, queries_pb2_grpc
from tests.e2e.helpers import open_account, read
from tests.faults.helpers import TIMEOUT, check, status_of

SETTLE_SECONDS = 120


@contextmanager
def extra(system: System, module: str, count: int, tmp_path: Path) -> Iterator[list[ServerProcess]]:
    """`count` more processes of `module` beside the system's, each on ports of its own;
    killed on leaving."""
    processes = servers_beside(system.env, module, count, tmp_path)
    try:
        for process in processes:
            process.start()
        yield processes
    finally:
        for process in processes:
            process.kill()


@contextmanager
def stubs(addresses: list[str], stub_type: Any) -> Iterator[list[Any]]:
    with ExitStack() as channels:
        yield [
            stub_type(channels.enter_context(grpc.insecure_channel(address)))
            for address in addresses
        ]


def test_projectors_joining_and_killed_at_random_under_load_lose_and_repeat_nothing(
    real_system: System, tmp_path: Path
) -> None:
    accounts = [open_account(real_system.commands).account_id for _ in range(40)]
    rng = random.Random(13)
    targets = [rng.choice(accounts) for _ in range(3_000)]
    projectors = [real_system.process("projector")]
    done = threading.Event()

    def chaos() -> None:
        """Every second or so, a projector is SIGKILLed or one more is started."""
        n = 0
        while not done.wait(rng.uniform(0.5, 1.5)):
            alive = [p for p in projectors if p.process is not None and p.process.poll() is None]
            if len(alive) > 1 and rng.random() < 0.5:
                rng.choice(alive).kill()
            else:
                env = env_beside(real_system.env)
                n += 1
                projectors.append(
                    ServerProcess("projector", env, tmp_path / f"projector-{n}.log").launch()
                )

    chaotic = threading.Thread(target=chaos)
    chaotic.start()
    try:
        with ThreadPoolExecutor(8) as pool:
            request = commands_pb2.DepositFundsRequest
            list(
                pool.map(
                    lambda a: real_system.commands.DepositFunds(
                        request(account_id=a, amount_cents=1), timeout=TIMEOUT
                    ),
                    targets,
                )
            )
    finally:
        done.set()
        chaotic.join()
    try:
        assert len(projectors) > 3, "the chaos should have started several projectors"
        checked = check(real_system, SETTLE_SECONDS)
        assert checked.returncode == 0, checked.stdout[-3000:]
        for account_id in accounts:
            expected = targets.count(account_id)
            assert read(real_system.queries, account_id, expected + 1).balance_cents == expected
    finally:
        for projector in projectors[1:]:
            projector.kill()


def test_three_command_servers_never_lose_an_update_overdraw_or_decide_twice(
    real_system: System, tmp_path: Path
) -> None:
    with extra(real_system, "command_server", 2, tmp_path) as others:
        addresses = [
            real_system.env["TECHBANK_COMMAND_ADDRESS"],
            *(p.address or "" for p in others),
        ]
        with stubs(addresses, commands_pb2_grpc.AccountCommandServiceStub) as servers:
            account_id = open_account(real_system.commands, cents=100).account_id
            round_robin = itertools.cycle(servers)
            withdraw = commands_pb2.WithdrawFundsRequest(account_id=account_id, amount_cents=1)
            calls = [next(round_robin) for _ in range(300)]
            with ThreadPoolExecutor(24) as pool:
                codes = list(
                    pool.map(
                        lambda server: status_of(
                            lambda: server.WithdrawFunds(withdraw, timeout=TIMEOUT)
                        ),
                        calls,
                    )
                )
            assert codes.count(None) == 100
            assert set(codes) == {None, grpc.StatusCode.FAILED_PRECONDITION}
            assert read(real_system.queries, account_id, 101).balance_cents == 0

            # One request sent to all three at once, again and again: one effect each.
            target = open_account(real_system.commands).account_id
            for n in range(20):
                deposit = commands_pb2.DepositFundsRequest(
                    account_id=target, amount_cents=1, request_id=f"same-{n}"
                )
                with ThreadPoolExecutor(3) as pool:
                    versions = {
                        v.version
                        for v in pool.map(
                            lambda server, d=deposit: server.DepositFunds(d, timeout=TIMEOUT),
                            servers,
                        )
                    }
                assert versions == {n + 2}
            assert read(real_system.queries, target, 21).balance_cents == 20


def test_alternating_servers_on_one_account_never_decide_on_a_stale_state(
    real_system: System, tmp_path: Path
) -> None:
    """Each server keeps the accounts it saw; the next command on another server moved the
    account on. expected_version makes a stale decision visible: it would be ABORTED."""
    with extra(real_system, "command_server", 2, tmp_path) as others:
        addresses = [
            real_system.env["TECHBANK_COMMAND_ADDRESS"],
            *(p.address or "" for p in others),
        ]
        with stubs(addresses, commands_pb2_grpc.AccountCommandServiceStub) as servers:
            account_id = open_account(real_system.commands, cents=1_000).account_id
            version = 1
            for n in range(30):
                server = servers[n % 3]
                if n % 2:
                    request: Any = commands_pb2.WithdrawFundsRequest(
                        account_id=account_id, amount_cents=3, expected_version=version
                    )
                    version = server.WithdrawFunds(request, timeout=TIMEOUT).version
                else:
                    request = commands_pb2.DepositFundsRequest(
                        account_id=account_id, amount_cents=5, expected_version=version
                    )
                    version = server.DepositFunds(request, timeout=TIMEOUT).version
            assert version == 31
            assert read(real_system.queries, account_id, 31).balance_cents == 1_000 + 15 * 2


def test_read_your_write_holds_whichever_query_server_answers(
    real_system: System, tmp_path: Path
) -> None:
    with extra(real_system, "query_server", 2, tmp_path) as others:
        addresses = [real_system.env["TECHBANK_QUERY_ADDRESS"], *(p.address or "" for p in others)]
        with stubs(addresses, queries_pb2_grpc.AccountQueryServiceStub) as readers:
            account_id = open_account(real_system.commands).account_id
            for n in range(60):
                deposit = commands_pb2.DepositFundsRequest(account_id=account_id, amount_cents=1)
                version = real_system.commands.DepositFunds(deposit, timeout=TIMEOUT).version
                account = read(readers[n % 3], account_id, version)
                assert (account.version, account.balance_cents) >= (version, n + 1)
