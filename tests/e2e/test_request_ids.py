"""A request id names one request: one effect and one answer, across command servers.

Two command server processes share each stack's stores, as they do when a client's
retry after a timeout is routed to another server.
"""

import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import grpc
import pytest

from harness.processes import ServerProcess, free_port
from harness.system import System, env_beside
from techbank.account.v1 import commands_pb2, commands_pb2_grpc, queries_pb2
from tests.e2e.helpers import TIMEOUT, open_account, read

Status = grpc.StatusCode
Stub = commands_pb2_grpc.AccountCommandServiceStub
Answer = tuple[str, str]  # ("OK", "account_id@version") or (status name, message)


@pytest.fixture(scope="module")
def two_servers(system: System) -> Iterator[list[Stub]]:
    """The system's command server and a second one on the same stores."""
    address = f"127.0.0.1:{free_port()}"
    first = system.process("command_server")
    log = first.log_path.with_name(f"second-{uuid.uuid4().hex}.log")
    second = ServerProcess(
        first.module, env_beside(system.env, TECHBANK_COMMAND_ADDRESS=address), log, address
    ).start()
    try:
        with grpc.insecure_channel(address) as channel:
            yield [system.commands, Stub(channel)]
    finally:
        second.kill()


def answer_of(call: Callable[[], Any]) -> Answer:
    try:
        result = call()
    except grpc.RpcError as error:
        return (error.code().name, str(error.details()))
    return ("OK", f"{result.account_id}@{result.version}")


def at_once(calls: list[Callable[[], Answer]]) -> list[Answer]:
    """Run the calls in threads released together."""
    start = threading.Barrier(len(calls))

    def run(call: Callable[[], Answer]) -> Answer:
        start.wait()
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def deposit(stub: Stub, account_id: str, cents: int, request_id: str) -> Callable[[], Answer]:
    request = commands_pb2.DepositFundsRequest(
        account_id=account_id, amount_cents=cents, request_id=request_id
    )
    return lambda: answer_of(lambda: stub.DepositFunds(request, timeout=TIMEOUT))


def withdraw(stub: Stub, account_id: str, cents: int, request_id: str) -> Callable[[], Answer]:
    request = commands_pb2.WithdrawFundsRequest(
        account_id=account_id, amount_cents=cents, request_id=request_id
    )
    return lambda: answer_of(lambda: stub.WithdrawFunds(request, timeout=TIMEOUT))


def settled(system: System, account_id: str) -> Any:
    """The account as the read model has it once it has caught up with the event store."""
    checked = system.run_tool("projector.check", "--settle-seconds", "20")
    assert checked.returncode == 0, checked.stdout[-2000:]
    query = queries_pb2.FindAccountByIdRequest(account_id=account_id)
    return system.queries.FindAccountById(query, timeout=TIMEOUT).account


def test_one_request_sent_to_two_servers_at_once_takes_effect_once(
    system: System, two_servers: list[Stub]
) -> None:
    accounts = [open_account(system.commands).account_id for _ in range(60)]
    for account_id in accounts:
        request_id = str(uuid.uuid4())
        answers = at_once([deposit(stub, account_id, 100, request_id) for stub in two_servers])
        assert answers == [("OK", f"{account_id}@2")] * 2
    checked = system.run_tool("projector.check", "--settle-seconds", "20")
    assert checked.returncode == 0, checked.stdout[-2000:]
    for account_id in accounts:
        account = read(system.queries, account_id, 2)
        assert (account.balance_cents, account.version) == (100, 2)


def test_one_request_id_for_different_commands_at_once_is_accepted_once(
    system: System, two_servers: list[Stub]
) -> None:
    accounts = [open_account(system.commands).account_id for _ in range(32)]
    request_id = str(uuid.uuid4())
    calls = [
        deposit(two_servers[i % 2], account_id, i + 1, request_id)
        for i, account_id in enumerate(accounts)
    ]
    answers = at_once(calls)
    [winner] = [i for i, (code, _) in enumerate(answers) if code == "OK"]
    assert answers[winner] == ("OK", f"{accounts[winner]}@2")
    refused = Counter(answer for i, answer in enumerate(answers) if i != winner)
    reused = (
        "INVALID_ARGUMENT",
        f"request_id {request_id!r} was already used for a different command",
    )
    assert refused == {reused: len(accounts) - 1}
    # Every retry, to either server, answers what its first attempt answered.
    for i, call in enumerate(calls):
        assert deposit(two_servers[(i + 1) % 2], accounts[i], i + 1, request_id)() == answers[i]
        assert call() == answers[i]
    balances = [settled(system, a).balance_cents for a in (accounts[winner], accounts[winner - 1])]
    assert balances == [winner + 1, 0]


def test_a_refused_request_repeated_later_is_still_refused(
    system: System, two_servers: list[Stub]
) -> None:
    account_id = open_account(system.commands, cents=50).account_id
    request_id = str(uuid.uuid4())
    refusal = ("FAILED_PRECONDITION", "Withdraw declined, insufficient funds!")
    assert withdraw(two_servers[0], account_id, 100, request_id)() == refusal
    assert deposit(two_servers[1], account_id, 100, str(uuid.uuid4()))() == (
        "OK",
        f"{account_id}@2",
    )
    for stub in two_servers:
        assert withdraw(stub, account_id, 100, request_id)() == refusal
    account = settled(system, account_id)
    assert (account.balance_cents, account.version) == (150, 2)


def test_a_repeat_after_success_answers_the_success_even_if_now_refused(
    system: System, two_servers: list[Stub]
) -> None:
    account_id = open_account(system.commands, cents=100).account_id
    request_id = str(uuid.uuid4())
    first = withdraw(two_servers[0], account_id, 100, request_id)()
    assert first == ("OK", f"{account_id}@2")
    # The balance is now 0: deciding again would refuse; the repeat answers the original.
    assert withdraw(two_servers[1], account_id, 100, request_id)() == first
    assert settled(system, account_id).balance_cents == 0
