"""What `infra/stack.sh up` is running: its servers' pids and versions, for the report.

Read from the pid files and sources that infra/ keeps; anything missing reads as unknown.
"""

import os
import re
from pathlib import Path
from typing import Any

import pymysql
from sqlalchemy.engine import make_url

from harness.processes import REPO
from harness.stack import MYSQL_PASSWORD, MYSQL_USER, mysql_port

PID_FILES = {
    "kafka": "kafka/kafka.pid",
    "ferretdb": "ferretdb/ferretdb.pid",
    "postgres": "postgresql/postgresql.pid",
    "mariadb": "mariadb/mariadb.pid",
}

KAFKA_VERSION = r"^KAFKA_VERSION=(\S+)"
FERRETDB_VERSION = r"FerretDB/FerretDB\S* (v\S+)"


def _cache() -> Path:
    return Path(os.environ.get("TECHBANK_CACHE", Path.home() / ".cache" / "techbank"))


def pids() -> dict[str, int]:
    """The live pid of each infra server that has one."""
    found = {}
    for name, pid_file in PID_FILES.items():
        try:
            pid = int((_cache() / pid_file).read_text().split()[0])
        except (OSError, ValueError, IndexError):
            continue
        if Path(f"/proc/{pid}").exists():
            found[name] = pid
    return found


def mysql_connection(url: str) -> Any:
    """An autocommit connection to the read database a SQLAlchemy URL names."""
    parsed = make_url(url)
    return pymysql.connect(
        host=parsed.host,
        port=parsed.port or 3306,
        user=parsed.username,
        password=parsed.password,
        database=parsed.database,
        autocommit=True,
    )


def versions() -> list[str]:
    kafka = _search(REPO / "infra/lib/kafka.sh", KAFKA_VERSION)
    ferretdb = _search(REPO / "infra/ferretdb/go.mod", FERRETDB_VERSION)
    return [
        f"Kafka {kafka}",
        f"FerretDB {ferretdb} on its {_ferretdb_backend()} backend",
        *([f"PostgreSQL {_postgres_version()}"] if _ferretdb_backend() == "postgresql" else []),
        f"MariaDB {_mariadb_version()}",
    ]


def _ferretdb_backend() -> str:
    """The -handler the running FerretDB was started with."""
    pid = pids().get("ferretdb")
    if pid is None:
        return "unknown"
    try:
        arguments = Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")
    except OSError:
        return "unknown"
    if "-handler" in arguments[:-1]:
        return arguments[arguments.index("-handler") + 1]
    return "unknown"


def _postgres_version() -> str:
    return _search(_cache() / "postgresql/data/PG_VERSION", r"^(\S+)")


def _mariadb_version() -> str:
    try:
        connection = pymysql.connect(
            host="127.0.0.1", port=mysql_port(), user=MYSQL_USER, password=MYSQL_PASSWORD
        )
    except pymysql.Error:
        return "unknown"
    with connection, connection.cursor() as cursor:
        cursor.execute("SELECT VERSION()")
        row = cursor.fetchone()
    return str(row[0]) if row else "unknown"


def _search(path: Path, pattern: str) -> str:
    try:
        found = re.search(pattern, path.read_text(), re.MULTILINE)
    except OSError:
        return "unknown"
    return found.group(1) if found else "unknown"
