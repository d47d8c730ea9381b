"""A read database that cannot exist as given stops the process that needs it at start,
with one line naming the setting; the query server never creates one, nor its tables:
started before them it answers NOT_SERVING, serves once the projector made them, and
stops, naming TECHBANK_QUERY_DB_URL, if they never come. On SQLite, and on MySQL
(MariaDB) when the real stack is tested."""

import os
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from harness.processes import REPO, wait_until_serving
from harness.stack import (
    kafka_bootstrap,
    mongo_url,
    mysql_url,
    scratch_kafka_topic,
    scratch_mongo_database,
    scratch_mysql_database,
    scratch_read_database,
)
from tests.e2e.conftest import STACKS
from tests.e2e.helpers import create_read_model
from tests.e2e.misconfigured import local_env, refusal, started

on_mysql = pytest.mark.skipif("real" not in STACKS, reason="the real stack is not tested now")
PASSWORD = "s3cret-pw"
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


def test_the_query_server_refuses_a_sqlite_file_in_no_folder(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "nowhere" / "read.db")
    ran = started("query_server", local_env(tmp_path, TECHBANK_QUERY_DB_URL=url))
    line = refusal(ran, "query_server", "TECHBANK_QUERY_DB_URL")
    assert line.endswith(f"={url}: the folder {tmp_path / 'nowhere'} does not exist")
    assert not (tmp_path / "nowhere").exists()


@pytest.mark.parametrize("module", ["embedded", "projector.restore"])
def test_the_read_models_writers_refuse_a_sqlite_file_in_no_folder(
    module: str, tmp_path: Path
) -> None:
    url = sqlite_url(tmp_path / "nowhere" / "read.db")
    ran = started(module, local_env(tmp_path, TECHBANK_READ_DB_URL=url))
    line = refusal(ran, module, "TECHBANK_READ_DB_URL")
    assert line.endswith(f"={url}: the folder {tmp_path / 'nowhere'} does not exist")
    assert not (tmp_path / "nowhere").exists()


@on_mysql
@pytest.mark.parametrize(
    ("database", "password", "said"),
    [
        (f"techbank_none_{uuid.uuid4().hex[:8]}", "techbank", "Unknown database"),
        ("techbank", PASSWORD, "Access denied for user 'techbank'"),
    ],
    ids=["unknown-database", "access-denied"],
)
def test_the_query_server_refuses_a_mysql_database_it_cannot_use(
    database: str, password: str, said: str, tmp_path: Path
) -> None:
    url = mysql_url(database).replace("techbank:techbank@", f"techbank:{password}@")
    ran = started("query_server", local_env(tmp_path, TECHBANK_QUERY_DB_URL=url))
    line = refusal(ran, "query_server", "TECHBANK_QUERY_DB_URL")
    assert "=mysql+aiomysql://techbank:***@127.0.0.1" in line and said in line, line
    assert PASSWORD not in ran.stderr


@on_mysql
def test_the_projector_refuses_an_unknown_mysql_database(tmp_path: Path) -> None:
    with scratch_kafka_topic("misconfigured") as topic, scratch_mongo_database("misc") as store:
        env = {
            "TECHBANK_EVENT_BUS_URL": f"kafka://{kafka_bootstrap()}/{topic}",
            "TECHBANK_EVENT_STORE_URL": mongo_url(store),
            "TECHBANK_READ_DB_URL": mysql_url(f"techbank_none_{uuid.uuid4().hex[:8]}"),
        }
        ran = started("projector", local_env(tmp_path, **env))
    line = refusal(ran, "projector", "TECHBANK_READ_DB_URL")
    assert "Unknown database" in line, line


@on_mysql
def test_the_projector_given_the_readers_url_says_it_may_not_write(tmp_path: Path) -> None:
    """The query server's user (SELECT only) as the projector's: a setting mixed up."""
    with (
        scratch_kafka_topic("misconfigured") as topic,
        scratch_mongo_database("misc") as store,
        scratch_read_database("misc") as read_db,
    ):
        env = {
            "TECHBANK_EVENT_BUS_URL": f"kafka://{kafka_bootstrap()}/{topic}",
            "TECHBANK_EVENT_STORE_URL": mongo_url(store),
            "TECHBANK_READ_DB_URL": read_db.reader_url,
        }
        ran = started("projector", local_env(tmp_path, **env))
    line = refusal(ran, "projector", "TECHBANK_READ_DB_URL")
    assert "command denied" in line, line


@contextmanager
def query_server(
    tmp_path: Path, url: str, wait_seconds: float
) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """A query server on `url`, and its address; killed on leaving if still running."""
    env = local_env(
        tmp_path, TECHBANK_QUERY_DB_URL=url, TECHBANK_QUERY_SCHEMA_WAIT_SECONDS=str(wait_seconds)
    )
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("TECHBANK_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "query_server"],
        cwd=REPO,
        env={**inherited, **env},
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        yield process, env["TECHBANK_QUERY_ADDRESS"]
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate()


def first_health(address: str, process: subprocess.Popen[str]) -> int:
    """The first status the server's health answers, once it listens."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and process.poll() is None:
        with grpc.insecure_channel(address) as channel:
            try:
                stub = health_pb2_grpc.HealthStub(channel)
                return int(stub.Check(health_pb2.HealthCheckRequest(), timeout=1).status)
            except grpc.RpcError:
                time.sleep(0.1)
    raise AssertionError("the query server never answered health")


def empty_database(tmp_path: Path, kind: str) -> str:
    """A database URL whose folder exists, without the read model's tables."""
    if kind == "no-file-yet":
        return sqlite_url(tmp_path / "read.db")
    other = sqlite3.connect(tmp_path / "other.db")
    other.execute("CREATE TABLE unrelated (x)")
    other.close()
    return sqlite_url(tmp_path / "other.db")


@pytest.mark.parametrize("kind", ["no-file-yet", "a-file-without-the-tables"])
def test_no_read_model_is_not_serving_then_stops_naming_the_setting(
    kind: str, tmp_path: Path
) -> None:
    url = empty_database(tmp_path, kind)
    files = sorted(os.listdir(tmp_path))
    with query_server(tmp_path, url, wait_seconds=4) as (process, address):
        assert first_health(address, process) == NOT_SERVING
        _, err = process.communicate(timeout=30)
    ran = subprocess.CompletedProcess(process.args, process.returncode, "", err)
    line = refusal(ran, "query_server", "TECHBANK_QUERY_DB_URL")
    assert "no Techbank read model there after 4 s" in line, line
    assert sorted(os.listdir(tmp_path)) == files, "the query server created a database"


@on_mysql
def test_an_empty_mysql_database_is_not_serving_then_stops(tmp_path: Path) -> None:
    with (
        scratch_mysql_database("empty") as name,
        query_server(tmp_path, mysql_url(name), wait_seconds=4) as (process, address),
    ):
        assert first_health(address, process) == NOT_SERVING
        _, err = process.communicate(timeout=30)
    ran = subprocess.CompletedProcess(process.args, process.returncode, "", err)
    assert "no Techbank read model there" in refusal(ran, "query_server", "TECHBANK_QUERY_DB_URL")


def test_the_query_server_serves_once_the_projector_created_the_tables(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "read.db")
    with query_server(tmp_path, url, wait_seconds=60) as (process, address):
        assert first_health(address, process) == NOT_SERVING
        assert not (tmp_path / "read.db").exists()
        create_read_model(url)
        wait_until_serving(address, timeout=10)
        process.terminate()
        assert process.wait(30) == 0
