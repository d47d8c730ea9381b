"""What the benches read back from the read database (MySQL) to check a run: the
accounts' rows of its first generation, the one a new read model starts with."""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from adapters.sql.read_generations import FIRST, tables_of
from bench import infra

POLL_SECONDS = 0.25
ACCOUNTS = tables_of(FIRST).accounts.name


class Applied:
    """How many events the read model holds: the sum of its accounts' versions."""

    def __init__(self, connection: Any, table: str) -> None:
        self._connection = connection
        self._sql = f"SELECT COALESCE(SUM(version), 0) FROM `{table}`"

    def __call__(self) -> int:
        with self._connection.cursor() as cursor:
            cursor.execute(self._sql)
            return int(cursor.fetchone()[0])


@contextmanager
def watching(writer_url: str) -> Iterator[Applied]:
    connection = infra.mysql_connection(writer_url)
    try:
        yield Applied(connection, ACCOUNTS)
    finally:
        connection.close()


def not_at_history_end(writer_url: str, per_account: int, accounts: int) -> int:
    """Accounts not exactly at their history's end, or missing: each has `per_account`
    events, the opening then one-cent deposits, every one applied once."""
    table = ACCOUNTS
    connection = infra.mysql_connection(writer_url)
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT COUNT(*) FROM `{table}` WHERE version != %s OR balance_cents != %s",
                (per_account, per_account - 1),
            )
            wrong = int(cursor.fetchone()[0])
            cursor.execute(f"SELECT COUNT(*) FROM `{table}`")
            missing = accounts - int(cursor.fetchone()[0])
    finally:
        connection.close()
    return wrong + missing


def read_back(
    read_db_url: str, versions: dict[str, int], each_deposit: int, limit_seconds: float
) -> tuple[int, int]:
    """Once the read model holds every answered version: the accounts whose balance is
    not their deposits' sum (each of `each_deposit`), and how many deposits it holds."""
    table = ACCOUNTS
    connection = infra.mysql_connection(read_db_url)
    deadline = time.monotonic() + limit_seconds
    try:
        while True:
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT account_id, version, balance_cents FROM `{table}`")
                rows = {account: (version, cents) for account, version, cents in cursor.fetchall()}
            behind = [a for a, v in versions.items() if rows.get(a, (0, 0))[0] < v]
            if not behind:
                break
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(behind)} accounts behind in the read model")
            time.sleep(POLL_SECONDS)
    finally:
        connection.close()
    wrong = sum(balance != each_deposit * (version - 1) for version, balance in rows.values())
    return wrong, sum(version - 1 for version, _ in rows.values())
