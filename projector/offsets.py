"""The projector's consumed offsets, kept in the read database beside the accounts."""

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from projector.schema import consumer_offsets as table


async def load_offsets(engine: AsyncEngine, topic: str) -> dict[int, int]:
    query = sa.select(table.c.partition_id, table.c.next_offset).where(table.c.topic == topic)
    async with engine.connect() as conn:
        return {row.partition_id: row.next_offset for row in await conn.execute(query)}


async def save_offsets(conn: AsyncConnection, topic: str, offsets: dict[int, int]) -> None:
    """Record offsets inside the caller's transaction, the one that applied the batch.

    An offset only moves forward: after a rebalance the partition's old owner may finish
    a batch the new owner has already passed, and every event before the higher offset
    is applied either way.
    """
    for partition, next_offset in offsets.items():
        key = (table.c.topic == topic) & (table.c.partition_id == partition)
        stored = await conn.scalar(sa.select(table.c.next_offset).where(key).with_for_update())
        if stored is None:
            await conn.execute(
                table.insert().values(topic=topic, partition_id=partition, next_offset=next_offset)
            )
        elif stored < next_offset:
            await conn.execute(table.update().where(key).values(next_offset=next_offset))
