"""The projector applies each account event exactly once, in order, on SQLite and on MySQL."""

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from command_server.domain.account import BankAccount
from command_server.domain.events import AccountType
from command_server.event_codec import ProtobufEventCodec
from core.events import StoredEvent
from core.outbox import Outbox
from core.repository import Repository
from projector.bootstrap import build_projection
from projector.projection import AccountProjection
from projector.restore import restore_account
from projector.schema import accounts
from tests.contract.event_store_contract import request
from tests.fakes import InMemoryEventStore, RecordingEventBus
from tests.support.stack import mysql_url, scratch_mysql_database


@pytest.fixture
def store() -> InMemoryEventStore:
    return InMemoryEventStore()


@pytest.fixture(params=["sqlite", "mysql"])
def read_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path}/r.db"
        return
    with scratch_mysql_database("projection") as name:
        yield mysql_url(name)


@pytest.fixture
async def wired(
    read_db_url: str, store: InMemoryEventStore
) -> AsyncIterator[tuple[AccountProjection, AsyncEngine]]:
    read_model = await build_projection(read_db_url, store)
    yield read_model.projection, read_model.engine
    await read_model.engine.dispose()


@pytest.fixture
def projection(wired: tuple[AccountProjection, AsyncEngine]) -> AccountProjection:
    return wired[0]


@pytest.fixture
def engine(wired: tuple[AccountProjection, AsyncEngine]) -> AsyncEngine:
    return wired[1]


async def history(store: InMemoryEventStore) -> list[StoredEvent]:
    """Open an account with 100, deposit 20, withdraw 50, close it: four stored events."""
    outbox = Outbox(store, RecordingEventBus())  # never started: only the stored events matter
    repo = Repository(store, outbox, ProtobufEventCodec(), BankAccount, "BankAccount")
    account = BankAccount.open("a1", "Ada", AccountType.CURRENT, 100)
    account.deposit(20)
    account.withdraw(50)
    account.close()
    return await repo.save(account, request("req"))


async def row(engine: AsyncEngine) -> dict[str, object]:
    async with engine.connect() as conn:
        result = await conn.execute(sa.select(accounts))
        return dict(result.mappings().one())


async def test_events_in_order_give_the_folded_row(
    projection: AccountProjection, store: InMemoryEventStore, engine: AsyncEngine
) -> None:
    events = await history(store)
    await projection.handle(events)
    got = await row(engine)
    assert (got["balance_cents"], got["status"], got["version"]) == (70, "CLOSED", 4)
    assert (got["holder"], got["account_type"]) == ("Ada", "CURRENT")


async def test_redelivered_events_are_applied_once(
    projection: AccountProjection, store: InMemoryEventStore, engine: AsyncEngine
) -> None:
    events = await history(store)
    await projection.handle(events[:3])
    await projection.handle(events[1:3])
    await projection.handle(events)
    await projection.handle(events[2:])
    assert (await row(engine))["balance_cents"] == 70


async def test_a_gap_is_filled_from_the_event_store(
    projection: AccountProjection, store: InMemoryEventStore, engine: AsyncEngine
) -> None:
    events = await history(store)
    await projection.handle([events[0]])
    await projection.handle([events[3]])
    got = await row(engine)
    assert (got["balance_cents"], got["version"]) == (70, 4)


async def test_catch_up_applies_what_the_bus_never_delivered(
    projection: AccountProjection, store: InMemoryEventStore, engine: AsyncEngine
) -> None:
    events = await history(store)
    await projection.handle(events[:2])
    assert await projection.catch_up(store.aggregate_ids()) == 2
    assert await projection.catch_up(store.aggregate_ids()) == 0
    assert (await row(engine))["version"] == 4


async def test_a_failing_batch_leaves_nothing_half_applied(
    projection: AccountProjection, store: InMemoryEventStore, engine: AsyncEngine
) -> None:
    events = await history(store)
    broken = StoredEvent(**{**events[1].__dict__, "version": 3, "event_type": "Unknown"})
    with pytest.raises(ValueError, match="unknown account event type"):
        await projection.handle([events[0], events[1], broken])
    async with engine.connect() as conn:
        assert await conn.scalar(sa.select(sa.func.count()).select_from(accounts)) == 0


class PausingStore(InMemoryEventStore):
    """A seam: the next load, once it has read its events, waits until let go, as a slow
    event store would, so that a test can act in between."""

    def __init__(self) -> None:
        super().__init__()
        self.loaded, self.let_go = asyncio.Event(), asyncio.Event()
        self.pause_next_load = False

    async def load(self, aggregate_id: str, after_version: int = 0) -> list[StoredEvent]:
        events = await super().load(aggregate_id, after_version)
        if self.pause_next_load:
            self.pause_next_load = False
            self.loaded.set()
            await self.let_go.wait()
        return events


async def test_a_restore_racing_the_projector_never_takes_a_row_back(read_db_url: str) -> None:
    store = PausingStore()
    read_model = await build_projection(read_db_url, store)
    projection, engine = read_model.projection, read_model.engine
    try:
        outbox = Outbox(store, RecordingEventBus())  # never started: only the store matters
        repo = Repository(store, outbox, ProtobufEventCodec(), BankAccount, "BankAccount")
        account = BankAccount.open("a1", "Ada", AccountType.CURRENT, 100)
        await projection.handle(await repo.save(account, request()))
        store.pause_next_load = True
        restoring = asyncio.create_task(restore_account(engine, store, "a1"))
        await store.loaded.wait()  # the restore has read version 1 and not yet written
        account.deposit(5)
        projecting = asyncio.create_task(projection.handle(await repo.save(account, request())))
        # Give the projector time to commit version 2 if the restore's transaction does not
        # hold it off; then let the restore write what it read.
        await asyncio.wait({projecting}, timeout=0.3)
        store.let_go.set()
        await asyncio.gather(restoring, projecting)
        got = await row(engine)
        assert (got["version"], got["balance_cents"]) == (2, 105)
    finally:
        await engine.dispose()
