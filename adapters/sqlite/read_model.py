"""The read model on the embedded default's SQLite file, through the standard sqlite3 module.

A batch is one hop to a writer thread, which runs it as one transaction begun with
BEGIN IMMEDIATE: SQLite has no row locks, so the transaction takes the database's
write lock before it reads the rows it will change, and no other process (a restore,
another command server's projection) can write in between.
"""

import asyncio
import os
import sqlite3
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy.engine import make_url

from adapters.sql.engine import use_wal
from adapters.sql.read_schema import create_generation, drop_generation, prepare_read_model_sync
from adapters.sqlite.read_statements import (
    MAX_IDS,
    OFFSETS,
    SAVE_OFFSET,
    Sql,
    generations_in,
    immediate_transaction,
    movement_of,
    movement_values,
    row_of,
    row_values,
    rows_of,
    sql_of,
    write_row,
)
from bank.read_model import Events, Generations, Position, ReadModel, RowsNow, merged_gaps, plan
from bank.read_rows import Projected, Row
from core.errors import Unavailable

T = TypeVar("T")
UNAVAILABLE = "the read database is unavailable"
DEFAULT_BUSY_SECONDS = 5.0


class SqliteReadModel(ReadModel):
    def __init__(self, path: str, busy_seconds: float) -> None:
        self._path, self._busy_seconds = path, busy_seconds
        self._writes = _open(path, busy_seconds)
        self._reads = _open(path, busy_seconds)
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="read-model-writer")
        # A rebuild keeps a transaction open across awaits: other writes wait their turn.
        self._turn = asyncio.Lock()

    @classmethod
    async def connect(cls, url: str, prepare: bool = True) -> tuple["SqliteReadModel", bool]:
        """The read model, and whether it holds no account yet (see schema.prepare_tables)."""
        parsed = make_url(url)
        busy = float(parsed.query.get("timeout", DEFAULT_BUSY_SECONDS))  # type: ignore[arg-type]
        try:
            path, fresh = await asyncio.to_thread(_prepare, str(parsed.database), prepare)
        except sqlite3.OperationalError as error:
            raise Unavailable(UNAVAILABLE) from error
        return cls(path, busy), fresh

    async def apply(self, events: Events, position: Position | None = None) -> dict[str, int]:
        async with self._turn:
            return await self._in_thread(self._apply, events, position)

    async def versions(self, account_ids: Sequence[str]) -> dict[str, int]:
        live = sql_of(generations_in(self._reads).live)
        return {i: row["version"] for i, row in rows_of(self._reads, live, account_ids).items()}

    async def rebuild(
        self, account_ids: Sequence[str], rows_now: RowsNow, generation: int | None = None
    ) -> None:
        async with self._turn:
            await self._in_thread(self._writes.execute, "BEGIN IMMEDIATE")
            try:
                sql = sql_of(generation or generations_in(self._writes).live)
                rows = await rows_now(account_ids)
                await self._in_thread(self._replace_and_commit, sql, rows)
            except BaseException:
                await asyncio.shield(self._in_thread(self._roll_back))
                raise

    async def generations(self) -> Generations:
        return generations_in(self._reads)

    async def begin_generation(self) -> int:
        current = generations_in(self._reads)
        if current.building is not None:  # a rebuild that stopped: start it over
            await self._ddl(drop_generation, current.building)
        number = max(current.live, current.building or 0) + 1
        await self._ddl(create_generation, number)
        async with self._turn:
            await self._in_thread(self._set_generations, {"building": number}, None)
        return number

    async def switch_to(self, generation: int) -> int:
        async with self._turn:
            return await self._in_thread(
                self._set_generations, {"live": generation, "building": None}, generation
            )

    async def drop_generation(self, generation: int) -> None:
        current = generations_in(self._reads)
        if generation in current:
            raise ValueError(f"generation {generation} is in use")
        await self._ddl(drop_generation, generation)

    async def _ddl(self, change: Callable[[sa.Connection, int], object], generation: int) -> None:
        def run() -> None:
            engine = create_sync_engine(f"sqlite:///{self._path}")
            try:
                with engine.begin() as conn:
                    change(conn, generation)
            finally:
                engine.dispose()

        async with self._turn:
            await self._in_thread(run)

    def _set_generations(self, values: dict[str, int | None], building: int | None) -> int:
        """Change the generations row in a write transaction; the live generation before."""
        with immediate_transaction(self._writes) as db:
            current = generations_in(db)
            if building is not None and current.building != building:
                raise ValueError(f"generation {building} is not the one being built")
            assignments = ", ".join(f"{column} = ?" for column in values)
            db.execute(
                f"UPDATE read_model_generations SET {assignments} WHERE id = 1",
                tuple(values.values()),
            )
        return current.live

    async def rows(self) -> AsyncIterator[Row]:
        scan = _open(self._path, self._busy_seconds)  # its own snapshot, see the event store
        try:
            select = sql_of(generations_in(scan).live).select_rows
            cursor = scan.execute(f"{select} ORDER BY account_id")
            while found := cursor.fetchmany(1000):
                for values in found:
                    yield row_of(values)
                await asyncio.sleep(0)
        finally:
            scan.close()

    async def movements(self, account_ids: Sequence[str]) -> dict[str, list[Row]]:
        found: dict[str, list[Row]] = {}
        select = sql_of(generations_in(self._reads).live).select_movements
        for start in range(0, len(account_ids), MAX_IDS):
            chunk = account_ids[start : start + MAX_IDS]
            marks = ", ".join("?" * len(chunk))
            query = f"{select} WHERE account_id IN ({marks}) ORDER BY account_id, version"
            for values in self._reads.execute(query, tuple(chunk)):
                line = movement_of(values)
                found.setdefault(line["account_id"], []).append(line)
        return found

    async def offsets(self, topic: str) -> dict[int, int]:
        return dict(self._reads.execute(OFFSETS, (topic,)).fetchall())

    async def close(self) -> None:
        self._thread.shutdown()
        self._writes.close()
        self._reads.close()

    async def _in_thread(self, work: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._thread, work, *args)
        except sqlite3.OperationalError as error:
            raise Unavailable(UNAVAILABLE) from error

    def _apply(self, events: Events, position: Position | None) -> dict[str, int]:
        try:
            with immediate_transaction(self._writes) as db:
                active = [sql_of(n) for n in generations_in(db) if n is not None]
                planned = [(sql, plan(rows_of(db, sql, list(events)), events)) for sql in active]
                gaps = merged_gaps(p for _, p in planned)
                if gaps:
                    raise _Rollback(gaps)
                for sql, changes in planned:
                    for before, after in changes.changed.values():
                        write_row(db, sql, before, after)
                    db.executemany(sql.insert_movement, map(movement_values, changes.movements))
                if position is not None:
                    offsets = position.offsets.items()
                    db.executemany(SAVE_OFFSET, [(position.topic, p, o) for p, o in offsets])
        except _Rollback as rollback:
            return rollback.gaps
        return {}

    def _replace_and_commit(self, sql: Sql, folded: Mapping[str, Projected]) -> None:
        for account_id, (row, moved) in folded.items():
            self._writes.execute(sql.delete, (account_id,))
            self._writes.execute(sql.delete_movements, (account_id,))
            if row is not None:
                self._writes.execute(sql.insert, row_values(row))
            self._writes.executemany(sql.insert_movement, map(movement_values, moved))
        self._writes.execute("COMMIT")

    def _roll_back(self) -> None:
        if self._writes.in_transaction:
            self._writes.execute("ROLLBACK")


class _Rollback(Exception):
    """Raised inside a transaction to undo it and hand the gaps back."""

    def __init__(self, gaps: dict[str, int]) -> None:
        super().__init__(gaps)
        self.gaps = gaps


def _open(path: str, busy_seconds: float) -> sqlite3.Connection:
    db = sqlite3.connect(path, timeout=busy_seconds, isolation_level=None, check_same_thread=False)
    use_wal(db.cursor())
    db.execute("PRAGMA synchronous = FULL")
    return db


def _prepare(database: str, prepare: bool) -> tuple[str, bool]:
    path = os.path.abspath(database)
    if not prepare:
        return path, False
    engine = create_sync_engine(f"sqlite:///{path}")
    try:
        fresh = prepare_read_model_sync(engine)
    finally:
        engine.dispose()
    return path, fresh
