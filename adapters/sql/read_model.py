"""The read model on a SQL database through SQLAlchemy's asyncio Core (MySQL here).

A batch is one transaction that reads the rows it will change with SELECT ... FOR
UPDATE, so another projector or a restore writing the same rows waits for it (or
deadlocks with it and is retried: every write is version-checked).
"""

import functools
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from adapters.sql.engine import create_engine, writer
from adapters.sql.errors import is_unavailable
from adapters.sql.read_generations import Generation, tables_of
from adapters.sql.read_schema import THE_ROW, consumer_offsets, generations, prepare_read_model
from adapters.sql.read_schema import create_generation as create_tables
from adapters.sql.read_schema import drop_generation as drop_tables
from bank.read_model import (
    Events,
    Generations,
    Plan,
    Position,
    ReadModel,
    RowsNow,
    merged_gaps,
    plan,
)
from bank.read_rows import Row
from core.errors import Unavailable

UNAVAILABLE = "the read database is unavailable"
MAX_IDS = 500


class SqlReadModel(ReadModel):
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._writer = writer(engine)

    @classmethod
    async def connect(cls, url: str, prepare: bool = True) -> tuple["SqlReadModel", bool]:
        """The read model, and whether it holds no account yet (see schema.prepare_read_model)."""
        engine = create_engine(url)
        try:
            fresh = await prepare_read_model(engine) if prepare else False
        except Exception as error:
            await engine.dispose()
            if is_unavailable(error):
                raise Unavailable(UNAVAILABLE) from error
            raise
        return cls(engine), fresh

    @property
    def engine(self) -> AsyncEngine:
        return self._engine

    async def apply(self, events: Events, position: Position | None = None) -> dict[str, int]:
        async with self._writer.begin() as conn:
            planned = []
            for tables in await _active(conn):
                planned.append(
                    (tables, plan(await _rows_of(conn, tables, list(events), True), events))
                )
            gaps = merged_gaps(p for _, p in planned)
            if gaps:
                await conn.rollback()
                return gaps
            for tables, changes in planned:
                await _write(conn, tables, changes)
            if position is not None:
                await _save_offsets(conn, position)
        return {}

    async def versions(self, account_ids: Sequence[str]) -> dict[str, int]:
        async with self._engine.connect() as conn:
            live = tables_of((await self._generations(conn)).live)
            rows = await _rows_of(conn, live, account_ids, lock=False)
        return {account_id: row["version"] for account_id, row in rows.items()}

    async def rebuild(
        self, account_ids: Sequence[str], rows_now: RowsNow, generation: int | None = None
    ) -> None:
        async with self._writer.begin() as conn:
            number = generation or (await self._generations(conn)).live
            tables = tables_of(number)
            await _rows_of(conn, tables, account_ids, lock=True)
            folded = await rows_now(account_ids)
            accounts, movements = tables.accounts, tables.movements
            for chunk in _chunks(list(folded)):
                await conn.execute(accounts.delete().where(accounts.c.account_id.in_(chunk)))
                await conn.execute(movements.delete().where(movements.c.account_id.in_(chunk)))
            rows = [row for row, _ in folded.values() if row is not None]
            lines = [line for _, moved in folded.values() for line in moved]
            if rows:
                await conn.execute(accounts.insert(), rows)
            if lines:
                await conn.execute(movements.insert(), lines)

    async def generations(self) -> Generations:
        async with self._engine.connect() as conn:
            return await self._generations(conn)

    async def _generations(self, conn: AsyncConnection) -> Generations:
        found = (await conn.execute(sa.select(generations).where(THE_ROW))).one()
        return Generations(found.live, found.building)

    async def begin_generation(self) -> int:
        async with self._engine.connect() as conn:
            current = await self._generations(conn)
        if current.building is not None:  # a rebuild that stopped: start it over
            await self._ddl(drop_tables, current.building)
        number = max(current.live, current.building or 0) + 1
        await self._ddl(create_tables, number)
        async with self._writer.begin() as conn:  # waits for the batches under way
            await conn.execute(generations.update().where(THE_ROW).values(building=number))
        return number

    async def switch_to(self, generation: int) -> int:
        async with self._writer.begin() as conn:
            current = (
                await conn.execute(sa.select(generations).where(THE_ROW).with_for_update())
            ).one()
            if current.building != generation:
                raise ValueError(f"generation {generation} is not the one being built")
            values = {"live": generation, "building": None}
            await conn.execute(generations.update().where(THE_ROW).values(values))
        return int(current.live)

    async def drop_generation(self, generation: int) -> None:
        current = await self.generations()
        if generation in (current.live, current.building):
            raise ValueError(f"generation {generation} is in use")
        await self._ddl(drop_tables, generation)

    async def _ddl(self, change: Callable[[sa.Connection, int], object], generation: int) -> None:
        async with self._writer.begin() as conn:
            await conn.run_sync(change, generation)

    async def rows(self) -> AsyncIterator[Row]:
        async with self._engine.connect() as conn:
            accounts = tables_of((await self._generations(conn)).live).accounts
            result = await conn.stream(sa.select(accounts).order_by(accounts.c.account_id))
            async for row in result.mappings():
                yield dict(row)

    async def movements(self, account_ids: Sequence[str]) -> dict[str, list[Row]]:
        found: dict[str, list[Row]] = {}
        async with self._engine.connect() as conn:
            movements = tables_of((await self._generations(conn)).live).movements
            for chunk in _chunks(account_ids):
                query = (
                    sa.select(movements)
                    .where(movements.c.account_id.in_(chunk))
                    .order_by(movements.c.account_id, movements.c.version)
                )
                for row in (await conn.execute(query)).mappings():
                    found.setdefault(row["account_id"], []).append(dict(row))
        return found

    async def offsets(self, topic: str) -> dict[int, int]:
        table = consumer_offsets
        query = sa.select(table.c.partition_id, table.c.next_offset).where(table.c.topic == topic)
        async with self._engine.connect() as conn:
            return {row.partition_id: row.next_offset for row in await conn.execute(query)}

    async def close(self) -> None:
        await self._engine.dispose()


def _chunks(account_ids: Sequence[str]) -> list[Sequence[str]]:
    return [account_ids[i : i + MAX_IDS] for i in range(0, len(account_ids), MAX_IDS)]


async def _active(conn: AsyncConnection) -> list[Generation]:
    """The generations a batch writes: the live one and the one being built, read under
    a shared lock that a rebuild's start and switch wait for."""
    query = sa.select(generations).where(THE_ROW).with_for_update(read=True)
    found = (await conn.execute(query)).one()
    return [tables_of(n) for n in (found.live, found.building) if n is not None]


async def _rows_of(
    conn: AsyncConnection, tables: Generation, account_ids: Sequence[str], lock: bool
) -> dict[str, Row]:
    accounts = tables.accounts
    found: dict[str, Row] = {}
    for chunk in _chunks(account_ids):
        query = sa.select(accounts).where(accounts.c.account_id.in_(chunk))
        result = await conn.execute(query.with_for_update() if lock else query)
        for row in result.mappings():
            found[row["account_id"]] = dict(row)
    return found


@functools.cache
def _update(generation: int) -> sa.Update:
    """Built once per generation: a statement built per row costs more than the row's
    own round trip."""
    accounts = tables_of(generation).accounts
    return (
        accounts.update()
        .where(accounts.c.account_id == sa.bindparam("b_account_id"))
        .where(accounts.c.version == sa.bindparam("b_version"))
        .values({c.name: sa.bindparam(c.name) for c in accounts.columns if c.name != "account_id"})
    )


async def _write(conn: AsyncConnection, tables: Generation, planned: Plan) -> None:
    """Insert the new rows and update the others, each update only from the version read;
    add the movements."""
    changed = list(planned.changed.values())
    new = [after for before, after in changed if before is None]
    updates = [
        {**after, "b_account_id": after["account_id"], "b_version": before["version"]}
        for before, after in changed
        if before is not None
    ]
    if new:
        await conn.execute(tables.accounts.insert(), new)
    if updates:
        result = await conn.execute(_update(tables.number), updates)
        if result.rowcount != len(updates):
            raise RuntimeError("a row moved on while it was held: the batch is retried")
    if planned.movements:
        await conn.execute(tables.movements.insert(), planned.movements)


async def _save_offsets(conn: AsyncConnection, position: Position) -> None:
    """Offsets only move forward: after a rebalance the partition's old owner may finish a
    batch its new owner has already passed, and every event before the higher one is
    applied either way."""
    table = consumer_offsets
    for partition, next_offset in position.offsets.items():
        key = (table.c.topic == position.topic) & (table.c.partition_id == partition)
        stored = await conn.scalar(sa.select(table.c.next_offset).where(key).with_for_update())
        values: dict[str, Any] = {"next_offset": next_offset}
        if stored is None:
            await conn.execute(
                table.insert().values(topic=position.topic, partition_id=partition, **values)
            )
        elif stored < next_offset:
            await conn.execute(table.update().where(key).values(values))
