"""The embedded default while its read database is locked (a long backup, another writer):
events answered OK reach the read model once it is free, however long that took."""

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from harness.system import System, running_system
from tests.e2e.helpers import open_account, read
from tests.faults.helpers import (
    deposit,
    projected_account,
    stop_promptly,
    wait_for_log,
    write_locked,
)

# The read database's writers give up on a lock after 0.2 s instead of 5 s, so that every
# retry the projection makes runs out within seconds.
IMPATIENT = "?timeout=0.2"
OUTBOX_GAVE_UP = "could not publish"


@contextmanager
def embedded(tmp_path: Path) -> Iterator[tuple[System, Path]]:
    database = tmp_path / "read.db"
    read_db_url = f"sqlite+aiosqlite:///{database}{IMPATIENT}"
    with running_system("embedded", tmp_path, {"TECHBANK_READ_DB_URL": read_db_url}) as system:
        yield system, database


def test_an_event_held_back_longer_than_every_retry_reaches_the_read_model(
    tmp_path: Path,
) -> None:
    with embedded(tmp_path) as (system, database):
        account_id = projected_account(system)
        command_server = system.process("command_server")
        with write_locked(database):
            assert deposit(system, account_id, 5) == 2
            wait_for_log(command_server, OUTBOX_GAVE_UP)  # the projection's retries ran out
            time.sleep(2.0)  # and the outbox's first attempts after that failed as well
        assert read(system.queries, account_id, 2).balance_cents == 5


def test_sigterm_stops_the_command_server_promptly_while_its_read_database_is_locked(
    tmp_path: Path,
) -> None:
    with embedded(tmp_path) as (system, database):
        account_id = projected_account(system)
        command_server = system.process("command_server")
        with write_locked(database):
            assert deposit(system, account_id, 5) == 2
            stop_promptly(command_server, 10.0)
        command_server.start()
        assert read(system.queries, account_id, 2).balance_cents == 5


def test_the_command_server_starts_while_the_read_database_is_locked_and_catches_up_later(
    tmp_path: Path,
) -> None:
    with embedded(tmp_path) as (system, database):
        account_id = open_account(system.commands).account_id
        assert deposit(system, account_id, 5) == 2
        read(system.queries, account_id, 2)
        command_server = system.process("command_server")
        assert command_server.stop() == 0
        with sqlite3.connect(database) as connection:  # a read model restored from an old backup
            connection.execute("DELETE FROM accounts_g1")
            connection.execute("DELETE FROM movements_g1")
        with write_locked(database):
            command_server.start()  # serving, although it cannot catch up yet
            wait_for_log(command_server, "catching up the read model failed")
        assert read(system.queries, account_id, 2).balance_cents == 5


def test_commands_answered_ok_survive_the_command_server_killed_at_once(tmp_path: Path) -> None:
    """Group commit answers a command only after its group's COMMIT (synchronous=FULL)."""
    with embedded(tmp_path) as (system, _database):
        account_id = projected_account(system)
        answered = [deposit(system, account_id, 1) for _ in range(20)]
        command_server = system.process("command_server")
        command_server.kill()  # SIGKILL right after the last answer
        command_server.start()
        assert read(system.queries, account_id, answered[-1]).balance_cents == 20
