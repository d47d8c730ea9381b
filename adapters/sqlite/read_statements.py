"""The SQLite read model's statements (adapters.sqlite.read_model), written once per
generation of the tables (adapters.sql.read_generations), and its rows to and from them."""

import functools
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, NamedTuple

from adapters.sql.read_generations import FIRST, tables_of
from adapters.sqlite.writes import stored_time
from bank.read_model import Generations
from bank.read_rows import Row

COLUMNS = [column.name for column in tables_of(FIRST).accounts.columns]
MOVEMENT_COLUMNS = [column.name for column in tables_of(FIRST).movements.columns]
GENERATIONS = "SELECT live, building FROM read_model_generations WHERE id = 1"
OFFSETS = "SELECT partition_id, next_offset FROM projector_offsets WHERE topic = ?"
SAVE_OFFSET = (
    "INSERT INTO projector_offsets (topic, partition_id, next_offset) VALUES (?, ?, ?) "
    "ON CONFLICT (topic, partition_id) DO UPDATE SET next_offset = excluded.next_offset "
    "WHERE excluded.next_offset > projector_offsets.next_offset"
)
MAX_IDS = 500


class Sql(NamedTuple):
    """One generation's statements."""

    select_rows: str
    insert: str
    update: str
    delete: str
    select_movements: str
    insert_movement: str
    delete_movements: str


@functools.cache
def sql_of(generation: int) -> Sql:
    accounts, movements = f"accounts_g{generation}", f"movements_g{generation}"
    return Sql(
        select_rows=f"SELECT {', '.join(COLUMNS)} FROM {accounts}",
        insert=f"INSERT INTO {accounts} ({', '.join(COLUMNS)}) VALUES ({_marks(COLUMNS)})",
        update=(
            f"UPDATE {accounts} SET {', '.join(f'{c} = ?' for c in COLUMNS[1:])} "
            "WHERE account_id = ? AND version = ?"
        ),
        delete=f"DELETE FROM {accounts} WHERE account_id = ?",
        select_movements=f"SELECT {', '.join(MOVEMENT_COLUMNS)} FROM {movements}",
        insert_movement=(
            f"INSERT INTO {movements} ({', '.join(MOVEMENT_COLUMNS)}) "
            f"VALUES ({_marks(MOVEMENT_COLUMNS)})"
        ),
        delete_movements=f"DELETE FROM {movements} WHERE account_id = ?",
    )


def _marks(columns: list[str]) -> str:
    return ", ".join("?" * len(columns))


@contextmanager
def immediate_transaction(db: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """BEGIN IMMEDIATE, then COMMIT, or ROLLBACK if the block raised."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def generations_in(db: sqlite3.Connection) -> Generations:
    live, building = db.execute(GENERATIONS).fetchone()
    return Generations(live, building)


def write_row(db: sqlite3.Connection, sql: Sql, before: Row | None, after: Row) -> None:
    if before is None:
        db.execute(sql.insert, row_values(after))
        return
    values = row_values(after)
    updated = db.execute(sql.update, (*values[1:], after["account_id"], before["version"]))
    if updated.rowcount != 1:
        raise RuntimeError(f"{after['account_id']} is not at version {before['version']}")


def rows_of(db: sqlite3.Connection, sql: Sql, account_ids: Sequence[str]) -> dict[str, Row]:
    found: dict[str, Row] = {}
    for start in range(0, len(account_ids), MAX_IDS):
        chunk = account_ids[start : start + MAX_IDS]
        marks = ", ".join("?" * len(chunk))
        for values in db.execute(f"{sql.select_rows} WHERE account_id IN ({marks})", tuple(chunk)):
            row = row_of(values)
            found[row["account_id"]] = row
    return found


def row_of(values: Sequence[Any]) -> Row:
    row = dict(zip(COLUMNS, values, strict=True))
    row["opened_at"] = datetime.fromisoformat(row["opened_at"]).replace(tzinfo=UTC)
    return row


def movement_of(values: Sequence[Any]) -> Row:
    line = dict(zip(MOVEMENT_COLUMNS, values, strict=True))
    line["occurred_at"] = datetime.fromisoformat(line["occurred_at"]).replace(tzinfo=UTC)
    return line


def movement_values(line: Row) -> tuple[Any, ...]:
    return tuple(stored_time(line[c]) if c == "occurred_at" else line[c] for c in MOVEMENT_COLUMNS)


def row_values(row: Row) -> tuple[Any, ...]:
    return tuple(stored_time(row[c]) if c == "opened_at" else row[c] for c in COLUMNS)
