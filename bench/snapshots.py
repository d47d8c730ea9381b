"""Loading an account with a long history: with a snapshot every 100 events, as cheap
as loading a short one (issue 12's target: at most 2x after 100,000 events).

Straight on the run's event store (a store of its own on the embedded stack, a
collection of its own on MongoDB), through the command side's own repository: each load
is a cold one, by a repository that has not seen the account.
"""

import os
import statistics
import time
import uuid
from collections.abc import Sequence

from adapters.mongo.event_store import MongoEventStore
from adapters.sqlite.event_store import SqliteEventStore
from bank.account import BankAccount
from bank.events import AccountType
from bench.results import Results
from command_server.bootstrap import account_repository
from core.event_store import EventBus, EventStore
from core.events import StoredEvent
from core.outbox import Outbox
from core.repository import Repository
from core.requests import Request

SCENARIO = "Loading an account (cold, snapshot every 100 events)"
EVERY = 100
HISTORY = 100_000
LOADS = 30
CHUNK = 1_000


async def account_loads(env: dict[str, str], results: Results) -> None:
    """A load reads the snapshot and the events after it: after 100,000 events it costs
    what a short account of those last events costs, whether 10 or (the worst) 99."""
    store = await _scratch_store(env)
    try:
        for after in (10, EVERY - 1):
            short = await _median_load_ms(store, await _history(store, after), EVERY)
            long_id = await _history(store, HISTORY + after)
            long = await _median_load_ms(store, long_id, EVERY)
            what = f"{HISTORY + after:,} events ÷ {after} events"
            results[SCENARIO, f"{what} (target ≤ 2x)"] = (
                f"{long / short:.2f}x ({long:.2f} ms ÷ {short:.2f} ms)"
            )
        without = await _median_load_ms(store, long_id, 0, loads=3)
    finally:
        await store.close()
    results[SCENARIO, f"{HISTORY + EVERY - 1:,} events without snapshots"] = f"{without:,.0f} ms"


async def _scratch_store(env: dict[str, str]) -> EventStore:
    url = env.get("TECHBANK_EVENT_STORE_URL", "")
    if url.startswith("mongodb"):
        return await MongoEventStore.connect(url, collection=f"loads_{uuid.uuid4().hex[:8]}")
    path = os.path.join(env["TECHBANK_DATA_DIR"], f"loads-{uuid.uuid4().hex[:8]}.db")
    return await SqliteEventStore.connect(f"sqlite:///{path}")


class _Nowhere(EventBus):
    """The outbox is never started here: nothing is published, the events stay stored."""

    async def publish(self, events: Sequence[StoredEvent]) -> None:
        raise AssertionError("not started: nothing is published")


def _accounts(store: EventStore, every: int) -> Repository[BankAccount]:
    return account_repository(store, Outbox(store, _Nowhere()), snapshot_every=every)


async def _history(store: EventStore, events: int) -> str:
    """An account of `events` events, saved up to `CHUNK` deposits at a time; snapshots
    are taken as the command side takes them."""
    accounts = _accounts(store, EVERY)
    account = BankAccount.open(str(uuid.uuid4()), "Long History", AccountType.SAVINGS, 0)
    while account.version < events:  # saves end on each multiple of CHUNK, and then `events`
        for _ in range(min(CHUNK - account.version % CHUNK, events - account.version)):
            account.deposit(1)
        await accounts.save(account, Request(str(uuid.uuid4()), "f" * 64))
    return account.id


async def _median_load_ms(
    store: EventStore, account_id: str, every: int, loads: int = LOADS
) -> float:
    took = []
    for _ in range(loads):
        accounts = _accounts(store, every)  # knows nothing yet: a cold load
        started = time.perf_counter()
        await accounts.load(account_id)
        took.append((time.perf_counter() - started) * 1000)
    return statistics.median(took)
