"""Least privilege on the real stack: each process is given only the stores it uses, and
the query server reaches the read database as a user that may only read it
(tests/contract/test_read_db_users.py shows what each user may do)."""

from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from harness.processes import ServerProcess
from harness.system import System

READ_DB = ("TECHBANK_READ_DB_URL", "TECHBANK_QUERY_DB_URL")


def environ(process: ServerProcess) -> dict[str, str]:
    """The environment the running process was started with."""
    assert process.process is not None
    raw = Path(f"/proc/{process.process.pid}/environ").read_bytes().decode()
    return dict(item.split("=", 1) for item in raw.split("\0") if item)


def given(process: ServerProcess) -> set[str]:
    names = set(environ(process))
    return {name for name in (*READ_DB, "TECHBANK_EVENT_STORE_URL") if name in names}


def user_of(url: str) -> str:
    return str(make_url(url).username)


def test_each_process_is_given_only_the_stores_it_uses(system: System) -> None:
    if system.name != "real":
        pytest.skip("on the in-process bus the command server holds the projector")
    assert given(system.process("command_server")) == {"TECHBANK_EVENT_STORE_URL"}
    assert given(system.process("projector")) == {
        "TECHBANK_EVENT_STORE_URL",
        "TECHBANK_READ_DB_URL",
    }
    assert given(system.process("query_server")) == {"TECHBANK_QUERY_DB_URL"}


def test_the_projector_writes_and_the_query_server_reads_as_users_of_their_own(
    system: System,
) -> None:
    if system.name != "real":
        pytest.skip("the embedded default's SQLite file has no users")
    projector = environ(system.process("projector"))["TECHBANK_READ_DB_URL"]
    query = environ(system.process("query_server"))["TECHBANK_QUERY_DB_URL"]
    assert user_of(projector).startswith("techbank_writer_")
    assert user_of(query).startswith("techbank_reader_")
