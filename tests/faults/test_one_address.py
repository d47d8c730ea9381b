"""docker-compose.yml's one address, for real: nginx with the compose file's own template
(docker/nginx/grpc-proxy.conf.template, rendered as the nginx image renders it) in front
of three command servers and two query servers on one real stack.

Through the one address each call goes to the next replica; concurrent deposits add up;
a request id is decided once whichever replicas take it, also while a replica is
SIGKILLed mid-load; streams and read-your-write work. Which replica answered a call is
read from that server's own Prometheus metrics, never from the proxy."""

import asyncio
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from harness.compose import compose_file
from harness.processes import ServerProcess, free_port, start_all
from harness.proxy import GrpcProxy, NginxMissing, grpc_proxy, nginx_binary
from harness.system import System, servers_beside
from techbank.account.v1 import commands_pb2, commands_pb2_grpc, queries_pb2, queries_pb2_grpc
from techbank_client import AccountType, TechbankClient
from tests.e2e.helpers import open_account, read, scrape, value
from tests.faults.helpers import TIMEOUT

COMMANDS = "techbank.account.v1.AccountCommandService/"
QUERIES = "techbank.account.v1.AccountQueryService/"
DEPOSIT = COMMANDS + "DepositFunds"
METRICS_ADDRESS = {
    "command_server": "TECHBANK_COMMAND_METRICS_ADDRESS",
    "query_server": "TECHBANK_QUERY_METRICS_ADDRESS",
}


def answered(server: ServerProcess, method: str) -> int:
    """How many calls of `method` the server has answered OK, by its own metrics."""
    samples = scrape(server.env[METRICS_ADDRESS[server.role]])
    return int(value(samples, "techbank_rpc_requests_total", method=method, code="OK"))


def answered_by_each(servers: list[ServerProcess], method: str) -> list[int]:
    return [answered(server, method) for server in servers]


@dataclass
class OneAddress:
    """The replicas, the proxy in front of them, and stubs that call the proxy only."""

    command_servers: list[ServerProcess]
    query_servers: list[ServerProcess]
    proxy: GrpcProxy
    commands: commands_pb2_grpc.AccountCommandServiceStub
    queries: queries_pb2_grpc.AccountQueryServiceStub


def require_nginx() -> None:
    """`make test` installs nginx: without it these tests fail, they do not skip."""
    try:
        nginx_binary()
    except NginxMissing as missing:
        pytest.fail(str(missing))


@pytest.fixture
def one_address(real_system: System, tmp_path: Path) -> Iterator[OneAddress]:
    require_nginx()
    with ExitStack() as stack:
        extra_commands = servers_beside(real_system.env, "command_server", 2, tmp_path)
        extra_queries = servers_beside(real_system.env, "query_server", 1, tmp_path)
        for process in [*extra_commands, *extra_queries]:
            stack.callback(process.kill)
        start_all([*extra_commands, *extra_queries])
        command_servers = [real_system.process("command_server"), *extra_commands]
        query_servers = [real_system.process("query_server"), *extra_queries]
        proxy = stack.enter_context(
            grpc_proxy(
                [p.address or "" for p in command_servers],
                [p.address or "" for p in query_servers],
                tmp_path / "nginx",
            )
        )
        command_channel = stack.enter_context(grpc.insecure_channel(proxy.command_address))
        query_channel = stack.enter_context(grpc.insecure_channel(proxy.query_address))
        yield OneAddress(
            command_servers,
            query_servers,
            proxy,
            commands_pb2_grpc.AccountCommandServiceStub(command_channel),
            queries_pb2_grpc.AccountQueryServiceStub(query_channel),
        )


def deposit(stub: commands_pb2_grpc.AccountCommandServiceStub, account_id: str, cents: int) -> int:
    """One deposit with a request id of its own; the account's version after it."""
    request = commands_pb2.DepositFundsRequest(
        account_id=account_id, amount_cents=cents, request_id=str(uuid.uuid4())
    )
    return int(stub.DepositFunds(request, timeout=TIMEOUT).version)


def test_calls_without_an_account_header_go_to_every_replica_in_turn(
    one_address: OneAddress,
) -> None:
    account_id = open_account(one_address.commands).account_id
    for _ in range(30):
        deposit(one_address.commands, account_id, 1)
    for _ in range(10):
        read(one_address.queries, account_id, 31)
    deposits = answered_by_each(one_address.command_servers, DEPOSIT)
    reads = answered_by_each(one_address.query_servers, QUERIES + "FindAccountById")
    assert sum(deposits) == 30 and max(deposits) - min(deposits) <= 2, deposits
    assert sum(reads) == 10 and max(reads) - min(reads) <= 2, reads


def test_concurrent_deposits_through_the_one_address_add_up(one_address: OneAddress) -> None:
    account_id = open_account(one_address.commands).account_id
    amounts = range(1, 201)
    with ThreadPoolExecutor(16) as pool:
        versions = list(
            pool.map(lambda cents: deposit(one_address.commands, account_id, cents), amounts)
        )
    assert sorted(versions) == list(range(2, 202)), "each deposit one event of its own"
    account = read(one_address.queries, account_id, 201)
    assert (account.version, account.balance_cents) == (201, sum(amounts))


def test_a_request_repeated_through_the_one_address_is_decided_once(
    one_address: OneAddress,
) -> None:
    """Sent six times at once, the same request reaches every replica, and each answers
    the one decision."""
    servers, method = one_address.command_servers, DEPOSIT
    account_id = open_account(one_address.commands, cents=5).account_id
    request = commands_pb2.DepositFundsRequest(
        account_id=account_id, amount_cents=7, request_id=f"once-{uuid.uuid4()}"
    )
    before = answered_by_each(servers, method)
    with ThreadPoolExecutor(6) as pool:
        replies = list(
            pool.map(
                lambda _: one_address.commands.DepositFunds(request, timeout=TIMEOUT), range(6)
            )
        )
    after = answered_by_each(servers, method)
    assert {reply.version for reply in replies} == {2}
    assert all(a > b for a, b in zip(after, before, strict=True)), (before, after)
    assert deposit(one_address.commands, account_id, 1) == 3, "one event for the six"
    account = read(one_address.queries, account_id, 3)
    assert (account.version, account.balance_cents) == (3, 5 + 7 + 1)


async def test_an_accounts_commands_go_to_one_replica_and_accounts_spread(
    one_address: OneAddress,
) -> None:
    """techbank_client names the account of each command in a header the proxy hashes
    on: each account's deposits all reach one replica, and ten accounts reach more than
    one."""
    servers, proxy = one_address.command_servers, one_address.proxy
    taken_by = set()
    async with TechbankClient(proxy.command_address, proxy.query_address) as bank:
        for _ in range(10):
            account_id = (await bank.open_account("Ada", AccountType.SAVINGS)).account_id
            before = answered_by_each(servers, DEPOSIT)
            for _ in range(5):
                await bank.deposit(account_id, 1)
            grew = [a - b for a, b in zip(answered_by_each(servers, DEPOSIT), before, strict=True)]
            assert sorted(grew) == [0, 0, 5], grew
            taken_by.add(grew.index(5))
    assert len(taken_by) > 1, "every account hashed to one replica"


async def test_a_command_server_killed_mid_load_loses_and_doubles_no_deposit(
    one_address: OneAddress,
) -> None:
    """techbank_client through the one address, 16 deposits at a time on one account;
    after 100 answers the command server the account hashes to is SIGKILLed while the
    load goes on. nginx passes the calls it could not send to the dead replica to
    another; the client retries those cut off in flight (UNAVAILABLE) with their request
    ids. Every deposit is answered, and counted once."""
    amounts, proxy = range(1, 301), one_address.proxy
    async with TechbankClient(proxy.command_address, proxy.query_address) as bank:
        account_id = (await bank.open_account("Ada Lovelace", AccountType.SAVINGS)).account_id
        victim = await replica_of(bank, account_id, one_address.command_servers)
        survivors = [s for s in one_address.command_servers if s is not victim]
        load = Load(bank, account_id, victim, survivors)
        versions = await asyncio.gather(*(load.deposit(cents) for cents in amounts))
        await load.killed()
        account = await bank.get_account(account_id, min_version=302)
    assert load.victim_answered > 0, "the victim took its share before it was killed"
    survivors_answered = answered_by_each(survivors, DEPOSIT)
    assert sum(survivors_answered) > sum(load.survivors_answered), "the others went on"
    assert sorted(versions) == list(range(3, 303)), "each deposit one event of its own"
    assert (account.version, account.balance_cents) == (302, 1 + sum(amounts))
    assert f'upstream: "grpc://{victim.address}' in proxy.error_log(), "nginx saw it fail"
    assert 502 in proxy.statuses(), "calls were cut in flight (and tried again)"


async def replica_of(
    bank: TechbankClient, account_id: str, servers: list[ServerProcess]
) -> ServerProcess:
    """The replica the proxy sends the account's commands to: the one that answers a
    one-cent deposit."""
    before = answered_by_each(servers, DEPOSIT)
    await bank.deposit(account_id, 1)
    after = answered_by_each(servers, DEPOSIT)
    (taker,) = [s for s, a, b in zip(servers, after, before, strict=True) if a > b]
    return taker


class Load:
    """Deposits, at most 16 under way; once 100 are answered, `victim` is SIGKILLed from
    another thread, the deposits going on, and what each server had answered is noted."""

    KILL_AFTER = 100

    def __init__(
        self,
        bank: TechbankClient,
        account_id: str,
        victim: ServerProcess,
        survivors: list[ServerProcess],
    ) -> None:
        self._bank, self._account_id = bank, account_id
        self._victim, self._survivors = victim, survivors
        self._answers, self._gate = 0, asyncio.Semaphore(16)
        self._killing: asyncio.Future[None] | None = None
        self.victim_answered = 0
        self.survivors_answered: list[int] = []

    async def deposit(self, cents: int) -> int:
        async with self._gate:
            result = await self._bank.deposit(self._account_id, cents)
        self._answers += 1
        if self._answers == self.KILL_AFTER:
            self._killing = asyncio.ensure_future(asyncio.to_thread(self._kill))
        return result.version

    async def killed(self) -> None:
        assert self._killing is not None, "the load ended before the kill"
        await self._killing

    def _kill(self) -> None:
        self.victim_answered = answered(self._victim, DEPOSIT)
        self._victim.kill()
        self.survivors_answered = answered_by_each(self._survivors, DEPOSIT)


def test_streams_and_read_your_write_go_through_the_one_address(
    one_address: OneAddress,
) -> None:
    accounts = [open_account(one_address.commands).account_id for _ in range(5)]
    balances = dict.fromkeys(accounts, 0)
    for n in range(20):
        account_id = accounts[n % 5]
        version = deposit(one_address.commands, account_id, n + 1)
        balances[account_id] += n + 1
        account = read(one_address.queries, account_id, version)
        assert (account.version, account.balance_cents) == (version, balances[account_id])
    pages = list(
        one_address.queries.FindAllAccounts(
            queries_pb2.FindAllAccountsRequest(page_size=2), timeout=TIMEOUT
        )
    )
    assert len(pages) == 3, "a stream of three messages"
    assert {a.account_id: a.balance_cents for p in pages for a in p.accounts} == balances
    statement = one_address.queries.GetAccountStatement(
        queries_pb2.GetAccountStatementRequest(account_id=accounts[0], page_size=1, min_version=5),
        timeout=TIMEOUT,
    )
    assert sum(len(page.movements) for page in statement) == 5, "opened and four deposits"
    reads = answered_by_each(one_address.query_servers, QUERIES + "FindAccountById")
    assert min(reads) > 0, reads


@contextmanager
def health_server(status: health_pb2.HealthCheckResponse.ServingStatus.ValueType) -> Iterator[str]:
    """A gRPC server whose standard health service answers `status`; its address."""
    with ThreadPoolExecutor(2) as threads:
        server = grpc.server(threads)
        servicer = health.HealthServicer()
        servicer.set("", status)
        health_pb2_grpc.add_HealthServicer_to_server(servicer, server)
        address = f"127.0.0.1:{free_port()}"
        server.add_insecure_port(address)
        server.start()
        try:
            yield address
        finally:
            server.stop(None)


def compose_health_check(proxy: GrpcProxy) -> int:
    """The exit status of docker-compose.yml's health check of the proxy, run against
    this proxy: the same command, with this proxy's ports for 50051 and 50052."""
    kind, command = compose_file()["services"]["grpc-proxy"]["healthcheck"]["test"]
    assert kind == "CMD-SHELL" and "50051 50052" in command
    ports = " ".join(a.rpartition(":")[2] for a in (proxy.command_address, proxy.query_address))
    script = command.replace("$$", "$").replace("50051 50052", ports)  # Compose's unescaping
    if shutil.which("curl") is None:
        pytest.fail("no curl: `infra/stack.sh install nginx` installs it")
    return subprocess.run(["sh", "-c", script], timeout=30, check=False).returncode


SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


@pytest.mark.parametrize(
    ("commands", "queries", "healthy"),
    [
        (SERVING, SERVING, True),
        (SERVING, None, False),  # no query replica listening
        (NOT_SERVING, SERVING, False),
    ],
)
def test_the_compose_health_check_of_the_proxy_asks_a_replica_of_each_side(
    commands: int | None, queries: int | None, healthy: bool, tmp_path: Path
) -> None:
    require_nginx()
    with ExitStack() as stack:
        addresses = [
            stack.enter_context(health_server(status)) if status is not None else dead_address()
            for status in (commands, queries)
        ]
        proxy = stack.enter_context(grpc_proxy([addresses[0]], [addresses[1]], tmp_path))
        assert (compose_health_check(proxy) == 0) == healthy


def dead_address() -> str:
    return f"127.0.0.1:{free_port()}"
