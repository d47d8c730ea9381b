"""The SQLite read model's statements (adapters.sqlite.read_model), written once per
generation of the tables (adapters.sql.read_generations)."""

import functools
from typing import NamedTuple

from adapters.sql.read_generations import FIRST, tables_of

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
