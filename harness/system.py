"""The system as users run it, as real processes, on either stack.

- embedded: the command server (`python -m embedded`: the projector inside, on the
  in-process bus)
  and the query server, over SQLite files.
- real: command server, projector and query server as three processes, over
  MongoDB (FerretDB), Kafka and MySQL (MariaDB) started by `infra/stack.sh up`,
  each system in scratch databases and a scratch topic of its own.
"""

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import grpc

from adapters.grpc.health import open_channel
from harness.processes import REPO, ServerProcess, free_port, start_all
from harness.stack import (
    kafka_bootstrap,
    mongo_url,
    scratch_kafka_topic,
    scratch_mongo_database,
    scratch_read_database,
)
from techbank.account.v1 import (
    commands_pb2_grpc,
    feed_pb2_grpc,
    history_pb2_grpc,
    queries_pb2_grpc,
    transfers_pb2_grpc,
)


@dataclass
class System:
    name: str
    env: dict[str, str]
    processes: list[ServerProcess]
    commands: commands_pb2_grpc.AccountCommandServiceStub
    queries: queries_pb2_grpc.AccountQueryServiceStub
    transfers: transfers_pb2_grpc.TransferServiceStub
    history: history_pb2_grpc.AccountHistoryServiceStub
    feed: feed_pb2_grpc.EventFeedServiceStub

    def process(self, role: str) -> ServerProcess:
        """The process that is `role` ("command_server", "projector", "query_server")."""
        return next(p for p in self.processes if p.role == role)

    def stop(self) -> None:
        for process in self.processes:
            assert process.stop() == 0, process.log_tail()

    def start(self) -> None:
        start_all(self.processes)

    def restart(self) -> None:
        self.stop()
        self.start()

    def run_tool(
        self, module: str, *args: str, timeout: float = 120.0
    ) -> subprocess.CompletedProcess[str]:
        """Run an operator's command (`projector.restore`, `projector.check`) on this system."""
        return subprocess.run(
            [sys.executable, "-m", module, *args],
            cwd=REPO,
            env={**os.environ, **self.env},
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )


# Small, so that every test's accounts are loaded through snapshots, and a restart
# finds some of them only by their snapshot and the events after it.
TESTED = {"TECHBANK_SNAPSHOT_EVERY": "3"}


def stack_env(
    stack: str, data_dir: Path, scratch: ExitStack, prefix: str = "e2e"
) -> dict[str, str]:
    """The system's environment (each process is given its part: processes.process_env);
    on the real stack, scratch databases, users and a topic named after `prefix`, removed
    when `scratch` closes."""
    env = {
        "TECHBANK_DATA_DIR": str(data_dir),
        "TECHBANK_COMMAND_ADDRESS": f"127.0.0.1:{free_port()}",
        "TECHBANK_QUERY_ADDRESS": f"127.0.0.1:{free_port()}",
        "TECHBANK_COMMAND_METRICS_ADDRESS": f"127.0.0.1:{free_port()}",
        "TECHBANK_QUERY_METRICS_ADDRESS": f"127.0.0.1:{free_port()}",
        "TECHBANK_PROJECTOR_METRICS_ADDRESS": f"127.0.0.1:{free_port()}",
    }
    if stack == "real":
        topic = scratch.enter_context(scratch_kafka_topic(prefix))
        read_db = scratch.enter_context(scratch_read_database(prefix))
        env |= {
            "TECHBANK_EVENT_STORE_URL": mongo_url(
                scratch.enter_context(scratch_mongo_database(prefix))
            ),
            "TECHBANK_EVENT_BUS_URL": f"kafka://{kafka_bootstrap()}/{topic}",
            "TECHBANK_READ_DB_URL": read_db.writer_url,
            "TECHBANK_QUERY_DB_URL": read_db.reader_url,
            "TECHBANK_PROJECTOR_GROUP": topic,
            "TECHBANK_TRANSFERS_GROUP": f"{topic}-transfers",
        }
    return env


def env_beside(env: dict[str, str], **changes: str) -> dict[str, str]:
    """`env` for one more process beside a system's, with `changes`: its metrics on a
    port of its own, as two processes cannot serve one."""
    fresh = {name: f"127.0.0.1:{free_port()}" for name in env if name.endswith("_METRICS_ADDRESS")}
    return {**env, **fresh, **changes}


# Where a server of each module listens for gRPC (a projector serves none).
ADDRESS_OF = {
    "command_server": "TECHBANK_COMMAND_ADDRESS",
    "query_server": "TECHBANK_QUERY_ADDRESS",
}


def servers_beside(
    env: dict[str, str], module: str, count: int, logs: Path, name: str = ""
) -> list[ServerProcess]:
    """`count` more processes of `module` on a system's `env`, each on ports of its own
    (env_beside), its log `<name or module>-<n>.log` in `logs`; not started."""
    processes = []
    for n in range(1, count + 1):
        changes = {}
        if module in ADDRESS_OF:
            changes[ADDRESS_OF[module]] = f"127.0.0.1:{free_port()}"
        address = changes.get(ADDRESS_OF.get(module, ""))
        log = logs / f"{name or module}-{n}.log"
        processes.append(ServerProcess(module, env_beside(env, **changes), log, address))
    return processes


def stack_processes(stack: str, env: dict[str, str], logs: Path) -> list[ServerProcess]:
    commands = "embedded" if stack == "embedded" else "command_server"
    command = ServerProcess(
        commands, env, logs / "command.log", env["TECHBANK_COMMAND_ADDRESS"], role="command_server"
    )
    query = ServerProcess("query_server", env, logs / "query.log", env["TECHBANK_QUERY_ADDRESS"])
    if stack == "embedded":
        return [command, query]
    return [ServerProcess("projector", env, logs / "projector.log"), command, query]


@contextmanager
def running_system(
    stack: str,
    data_dir: Path,
    extra_env: dict[str, str] | None = None,
    credentials: grpc.ChannelCredentials | None = None,
) -> Iterator[System]:
    """Start every process of `stack`; stop (kill) them and drop scratch data on exit.

    With `credentials`, the servers are reached over TLS (`extra_env` configures it).
    """
    with ExitStack() as scratch:
        env = stack_env(stack, data_dir, scratch) | TESTED | (extra_env or {})
        processes = stack_processes(stack, env, data_dir)
        for process in processes:
            process.credentials = credentials
            scratch.callback(process.kill)
        start_all(processes)
        command_channel = scratch.enter_context(
            open_channel(env["TECHBANK_COMMAND_ADDRESS"], credentials)
        )
        query_channel = scratch.enter_context(
            open_channel(env["TECHBANK_QUERY_ADDRESS"], credentials)
        )
        yield System(
            stack,
            env,
            processes,
            commands_pb2_grpc.AccountCommandServiceStub(command_channel),
            queries_pb2_grpc.AccountQueryServiceStub(query_channel),
            transfers_pb2_grpc.TransferServiceStub(command_channel),
            history_pb2_grpc.AccountHistoryServiceStub(command_channel),
            feed_pb2_grpc.EventFeedServiceStub(command_channel),
        )
