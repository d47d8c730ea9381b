"""Fault injection for the projector's tests: off unless asked for.

TECHBANK_FAULT_SLOW_BATCH_SECONDS=<s> makes the Kafka projector pause that long inside
every batch, before storing it, so that a test can make a rebalance land mid-batch.
"""

import asyncio
import os

SLOW_BATCH = "TECHBANK_FAULT_SLOW_BATCH_SECONDS"


async def pause_inside_batch() -> None:
    seconds = float(os.environ.get(SLOW_BATCH) or 0)
    if seconds:
        await asyncio.sleep(seconds)
