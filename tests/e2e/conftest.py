"""The embedded default as a user runs it: a command server and a query server process."""

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest

from techbank.account.v1 import commands_pb2_grpc, queries_pb2_grpc
from tests.support.processes import ServerProcess, free_port


@dataclass
class EmbeddedSystem:
    command: ServerProcess
    query: ServerProcess
    commands: commands_pb2_grpc.AccountCommandServiceStub
    queries: queries_pb2_grpc.AccountQueryServiceStub

    def restart(self) -> None:
        for server in (self.command, self.query):
            assert server.stop() == 0, server.log_tail()
        self.command.start()
        self.query.start()


def _servers(data_dir: Path) -> tuple[ServerProcess, ServerProcess]:
    command_address = f"127.0.0.1:{free_port()}"
    query_address = f"127.0.0.1:{free_port()}"
    env = {
        "TECHBANK_DATA_DIR": str(data_dir),
        "TECHBANK_COMMAND_ADDRESS": command_address,
        "TECHBANK_QUERY_ADDRESS": query_address,
    }
    command = ServerProcess("command_server", env, data_dir / "command.log", command_address)
    query = ServerProcess("query_server", env, data_dir / "query.log", query_address)
    return command, query


@pytest.fixture(scope="session")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedSystem]:
    command, query = _servers(tmp_path_factory.mktemp("embedded"))
    command.start()
    query.start()
    with (
        grpc.insecure_channel(command.address or "") as command_channel,
        grpc.insecure_channel(query.address or "") as query_channel,
    ):
        yield EmbeddedSystem(
            command,
            query,
            commands_pb2_grpc.AccountCommandServiceStub(command_channel),
            queries_pb2_grpc.AccountQueryServiceStub(query_channel),
        )
    command.kill()
    query.kill()
