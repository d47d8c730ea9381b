"""Snapshots in the SQL event store's `snapshots` table, written portably: the later
snapshot of an aggregate wins, whichever of two writers commits first."""

from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sql.event_tables import snapshots
from core.snapshots import Snapshot


def newer(snapshot: Snapshot) -> sa.Update:
    """Replace the aggregate's snapshot if it is older than `snapshot`."""
    return (
        snapshots.update()
        .where(
            snapshots.c.aggregate_id == snapshot.aggregate_id,
            snapshots.c.version < snapshot.version,
        )
        .values(version=snapshot.version, schema=snapshot.schema, state=snapshot.state)
    )


async def save(conn: AsyncConnection, snapshot: Snapshot) -> None:
    """In one transaction: replace an older snapshot, or insert the first. Losing the
    insert to another writer means a row exists now: try replacing it once more."""
    if (await conn.execute(newer(snapshot))).rowcount:
        return
    try:
        async with conn.begin_nested():
            await conn.execute(snapshots.insert().values(**_row(snapshot)))
    except IntegrityError:
        await conn.execute(newer(snapshot))


def latest(aggregate_id: str) -> sa.Select[Any]:
    return sa.select(snapshots).where(snapshots.c.aggregate_id == aggregate_id)


def snapshot_of(row: Any) -> Snapshot:
    return Snapshot(row["aggregate_id"], int(row["version"]), row["schema"], bytes(row["state"]))


def _row(snapshot: Snapshot) -> dict[str, object]:
    return {
        "aggregate_id": snapshot.aggregate_id,
        "version": snapshot.version,
        "schema": snapshot.schema,
        "state": snapshot.state,
    }
