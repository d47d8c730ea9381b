"""One point of the command curve: N command servers on one real stack (one projector
beside them, as in production), deposits from one client process spread over them.

Three ways to spread: round robin, each call to the next server, as a plain load
balancer does; by account, each account's calls to one server, chosen by this client;
and through docker-compose.yml's nginx, which hashes on the account header that every
deposit here carries. The last two keep each server's aggregate cache warm; under
round robin, most calls find their account moved on by another server and reload it.
Afterwards every balance must equal its deposits, read from the read model.
"""

import asyncio
import dataclasses
import itertools
import random
import tempfile
import uuid
import zlib
from collections.abc import Awaitable, Callable
from contextlib import AbstractContextManager as ContextManager
from contextlib import AsyncExitStack, ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import grpc

from bench import cpu, infra
from bench.load import Measured, bounded_gather, closed_loop
from bench.read_back import read_back
from harness.processes import ServerProcess, free_port, start_all
from harness.proxy import GrpcProxy, grpc_proxy
from harness.system import servers_beside, stack_env
from techbank.account.v1 import account_pb2, commands_pb2, commands_pb2_grpc
from techbank_client.command_calls import routing_metadata

CALL_TIMEOUT = 10.0
DEPOSIT_CENTS = 100
CAUGHT_UP_LIMIT_SECONDS = 120.0
# Through docker-compose.yml's nginx, which hashes on the account header techbank_client
# sends (as every deposit here does).
THROUGH_PROXY = "proxy, by account"
ROUTES = ("round-robin", "by-account", THROUGH_PROXY)

if TYPE_CHECKING:
    from techbank.account.v1.commands_pb2_grpc import AccountCommandServiceAsyncStub as Stub


@dataclass(frozen=True)
class CommandLoad:
    clients: int
    seconds: float
    accounts: int


@dataclass(frozen=True)
class CommandPoint:
    servers: int
    route: str
    measured: Measured
    wrong_balances: int
    applied: int  # deposits the read model holds
    cpu: dict[str, float]  # % of one core, by process, over the timed phase


def command_servers(servers: int, route: str, load: CommandLoad, logs: Path) -> CommandPoint:
    """Start a real stack with `servers` command servers and measure deposits through them."""
    with ExitStack() as scratch:
        env = stack_env("real", logs, scratch, prefix="scale")
        processes = _processes(env, servers, logs / f"{servers}-{route}")
        for process in processes:
            scratch.callback(process.kill)
        start_all(processes)
        commands = [p.address or "" for p in processes if p.address is not None]
        targets, pids = commands, _pids(processes)
        if route == THROUGH_PROXY:
            nginx = Path(tempfile.mkdtemp(prefix=f"{servers}-nginx-", dir=logs))
            proxy = scratch.enter_context(_proxy_in_front(commands, nginx))
            targets, pids = [proxy.command_address], pids | {"nginx": proxy.process.pid}
        measure = _measure(targets, route, load, env["TECHBANK_READ_DB_URL"], pids)
        point = dataclasses.replace(asyncio.run(measure), servers=servers)
        for process in processes:
            if process.stop() != 0:
                raise RuntimeError(f"{process.module} exited badly:\n{process.log_tail()}")
    return point


def _processes(env: dict[str, str], servers: int, logs: Path) -> list[ServerProcess]:
    logs.mkdir(parents=True, exist_ok=True)
    projector = ServerProcess("projector", env, logs / "projector.log")
    return [projector, *servers_beside(env, "command_server", servers, logs, name="command")]


def _proxy_in_front(commands: list[str], directory: Path) -> ContextManager[GrpcProxy]:
    """docker-compose.yml's nginx, from its own template, in front of `commands`; its
    query side points at a port nothing listens on (no query is sent)."""
    return grpc_proxy(commands, [f"127.0.0.1:{free_port()}"], directory)


async def _measure(
    targets: list[str], route: str, load: CommandLoad, read_db_url: str, pids: dict[str, int]
) -> CommandPoint:
    async with AsyncExitStack() as channels:
        stubs = [
            _stub(await channels.enter_async_context(grpc.aio.insecure_channel(target)))
            for target in targets
        ]
        accounts = await _open_accounts(stubs, load)
        versions: dict[str, int] = {}
        deposit = _depositor(_router(stubs, route), accounts, versions)
        before = cpu.sample(pids)
        measured = await closed_loop(lambda _: deposit, load.clients, load.seconds)
        use = cpu.percent_of_a_core(before, cpu.sample(pids))
    wrong, applied = await asyncio.to_thread(
        read_back, read_db_url, versions, DEPOSIT_CENTS, CAUGHT_UP_LIMIT_SECONDS
    )
    return CommandPoint(len(targets), route, measured, wrong, applied, use)


def _stub(channel: grpc.aio.Channel) -> "Stub":
    return commands_pb2_grpc.AccountCommandServiceStub(channel)


async def _open_accounts(stubs: list["Stub"], load: CommandLoad) -> list[str]:
    turn = itertools.cycle(stubs)

    async def open_one() -> str:
        command = commands_pb2.OpenAccountRequest(
            holder="Scale Holder",
            account_type=account_pb2.ACCOUNT_TYPE_CURRENT,
            request_id=str(uuid.uuid4()),
        )
        return (await next(turn).OpenAccount(command, timeout=CALL_TIMEOUT)).account_id

    return await bounded_gather([open_one] * load.accounts, load.clients)


def _router(stubs: list["Stub"], route: str) -> Callable[[str], "Stub"]:
    """Which server takes a call for an account."""
    if route == "by-account":
        return lambda account: stubs[zlib.crc32(account.encode()) % len(stubs)]
    turn = itertools.cycle(stubs)
    return lambda _: next(turn)


def _depositor(
    server_for: Callable[[str], "Stub"], accounts: list[str], versions: dict[str, int]
) -> Callable[[], Awaitable[object]]:
    async def deposit() -> object:
        account = random.choice(accounts)
        command = commands_pb2.DepositFundsRequest(
            account_id=account, amount_cents=DEPOSIT_CENTS, request_id=str(uuid.uuid4())
        )
        result = await server_for(account).DepositFunds(
            command, timeout=CALL_TIMEOUT, metadata=routing_metadata(account)
        )
        versions[account] = max(versions.get(account, 0), result.version)
        return result

    return deposit


def _pids(processes: list[ServerProcess]) -> dict[str, int]:
    ours: dict[str, int] = {}
    for process in processes:
        if process.process is None:
            continue
        name = process.module
        if name == "command_server":
            name = f"command {sum(n.startswith('command') for n in ours) + 1}"
        ours[name] = process.process.pid
    return ours | infra.pids()
