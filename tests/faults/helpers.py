"""Helpers of the fault tests: driving load and reading the truth from the event store."""

import sqlite3
import subprocess
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import grpc

from harness.processes import ServerProcess
from harness.system import System
from techbank.account.v1 import commands_pb2
from tests.e2e.helpers import open_account, read

TIMEOUT = 30.0


def deposit(system: System, account_id: str, cents: int = 1, stub: Any = None) -> int:
    request = commands_pb2.DepositFundsRequest(account_id=account_id, amount_cents=cents)
    return int((stub or system.commands).DepositFunds(request, timeout=TIMEOUT).version)


def deposit_many(system: System, account_ids: Iterable[str], workers: int = 8) -> list[int]:
    """One 1-cent deposit per id given, `workers` at a time; returns the versions."""
    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(lambda account_id: deposit(system, account_id), account_ids))


def check(system: System, settle_seconds: float) -> subprocess.CompletedProcess[str]:
    """Run the operator's checker: the read model against the fold of the event store."""
    settle = str(settle_seconds)
    return system.run_tool(
        "projector.check", "--settle-seconds", settle, timeout=settle_seconds + 60
    )


def status_of(call: Any) -> grpc.StatusCode | None:
    try:
        call()
    except grpc.RpcError as error:
        return error.code()
    return None


def wait_for_log(process: ServerProcess, text: str, timeout: float = 30.0, times: int = 1) -> None:
    """Block until the process's log holds `text` (at least `times` times)."""
    deadline = time.monotonic() + timeout
    while process.log_path.read_text(errors="replace").count(text) < times:
        assert time.monotonic() < deadline, f"{text!r} not logged; {process.log_tail()}"
        time.sleep(0.1)


def stop_promptly(process: ServerProcess, seconds: float) -> None:
    """SIGTERM the process; it must exit cleanly within `seconds`."""
    began = time.monotonic()
    assert process.stop() == 0, process.log_tail()
    assert time.monotonic() - began < seconds


def projected_account(system: System, cents: int = 0) -> str:
    """A new account, once the read model has it."""
    account_id: str = open_account(system.commands, cents=cents).account_id
    read(system.queries, account_id, 1)
    return account_id


@contextmanager
def write_locked(database: Path) -> Iterator[None]:
    """Hold the SQLite database's write lock from another connection, as a backup would."""
    connection = sqlite3.connect(database, isolation_level=None)
    try:
        connection.execute("BEGIN IMMEDIATE")
        yield
        connection.execute("ROLLBACK")
    finally:
        connection.close()
