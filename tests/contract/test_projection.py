"""The projector applies each account event exactly once, in order, on SQLite and on MySQL."""

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest

from bank.domain.account import BankAccount
from bank.domain.events import AccountType
from command_server.bootstrap import account_repository
from core.events import StoredEvent
from core.outbox import Outbox
from harness.stack import scratch_read_database
from projector.projection import AccountProjection
from projector.read_model import Position, ReadModel
from projector.restore import restore_accounts
from projector.sql_read_model import SqlReadModel
from projector.sqlite_read_model import SqliteReadModel
from projector.translation import Row
from tests.contract.event_store_contract import request
from tests.fakes import InMemoryEventStore, RecordingEventBus


@pytest.fixture
def store() -> InMemoryEventStore:
    return InMemoryEventStore()


@pytest.fixture(params=["sqlite", "sqlalchemy on sqlite", "mysql"])
async def read_model(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[ReadModel]:
    """Each read model adapter, on each database it is used with."""
    if request.param == "mysql":
        with scratch_read_database("projection") as database:  # as the projector's user
            opened, _ = await SqlReadModel.connect(database.writer_url)
            yield opened
            await opened.close()
        return
    url = f"sqlite+aiosqlite:///{tmp_path}/r.db"
    adapter: type[ReadModel] = SqliteReadModel if request.param == "sqlite" else SqlReadModel
    opened, _ = await adapter.connect(url)  # type: ignore[attr-defined]
    yield opened
    await opened.close()


@pytest.fixture
def projection(read_model: ReadModel, store: InMemoryEventStore) -> AccountProjection:
    return AccountProjection(read_model, store.load)


async def history(store: InMemoryEventStore) -> list[StoredEvent]:
    """Open an account with 100, deposit 20, withdraw 50, close it: four stored events."""
    outbox = Outbox(store, RecordingEventBus())  # never started: only the stored events matter
    repo = account_repository(store, outbox)
    account = BankAccount.open("a1", "Ada", AccountType.CURRENT, 100)
    account.deposit(20)
    account.withdraw(50)
    account.close()
    return await repo.save(account, request("req"))


async def row(read_model: ReadModel) -> Row:
    [only] = [r async for r in read_model.rows()]
    return only


async def test_events_in_order_give_the_folded_row(
    projection: AccountProjection, store: InMemoryEventStore, read_model: ReadModel
) -> None:
    events = await history(store)
    await projection.handle(events)
    got = await row(read_model)
    assert (got["balance_cents"], got["status"], got["version"]) == (70, "CLOSED", 4)
    assert (got["holder"], got["account_type"]) == ("Ada", "CURRENT")


async def test_redelivered_events_are_applied_once(
    projection: AccountProjection, store: InMemoryEventStore, read_model: ReadModel
) -> None:
    events = await history(store)
    await projection.handle(events[:3])
    await projection.handle(events[1:3])
    await projection.handle(events)
    await projection.handle(events[2:])
    assert (await row(read_model))["balance_cents"] == 70


async def test_a_gap_is_filled_from_the_event_store(
    projection: AccountProjection, store: InMemoryEventStore, read_model: ReadModel
) -> None:
    events = await history(store)
    await projection.handle([events[0]])
    await projection.handle([events[3]])
    got = await row(read_model)
    assert (got["balance_cents"], got["version"]) == (70, 4)


async def test_catch_up_applies_what_the_bus_never_delivered(
    projection: AccountProjection, store: InMemoryEventStore, read_model: ReadModel
) -> None:
    events = await history(store)
    await projection.handle(events[:2])
    assert await projection.catch_up(store.aggregate_ids()) == 2
    assert await projection.catch_up(store.aggregate_ids()) == 0
    assert (await row(read_model))["version"] == 4


async def test_a_failing_batch_leaves_nothing_half_applied(
    projection: AccountProjection, store: InMemoryEventStore, read_model: ReadModel
) -> None:
    events = await history(store)
    broken = StoredEvent(**{**events[1].__dict__, "version": 3, "event_type": "Unknown"})
    with pytest.raises(ValueError, match="unknown account event type"):
        await projection.handle([events[0], events[1], broken])
    assert [r async for r in read_model.rows()] == []


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


async def test_a_restore_racing_the_projector_never_takes_a_row_back(
    read_model: ReadModel,
) -> None:
    store = PausingStore()
    projection = AccountProjection(read_model, store.load)
    outbox = Outbox(store, RecordingEventBus())  # never started: only the store matters
    repo = account_repository(store, outbox)
    account = BankAccount.open("a1", "Ada", AccountType.CURRENT, 100)
    await projection.handle(await repo.save(account, request()))
    store.pause_next_load = True
    restoring = asyncio.create_task(restore_accounts(read_model, store, ["a1"]))
    await store.loaded.wait()  # the restore has read version 1 and not yet written
    account.deposit(5)
    projecting = asyncio.create_task(projection.handle(await repo.save(account, request())))
    # Give the projector time to write version 2 if the restore does not hold it off;
    # then let the restore write what it read.
    await asyncio.wait({projecting}, timeout=0.3)
    assert not projecting.done()
    store.let_go.set()
    assert await restoring == 1
    await projecting
    got = await row(read_model)
    assert (got["version"], got["balance_cents"]) == (2, 105)


async def test_a_restore_rewrites_a_wrong_row(read_model: ReadModel) -> None:
    store = InMemoryEventStore()
    events = await history(store)
    projection = AccountProjection(read_model, store.load)
    await projection.handle(events)
    wrong = {**(await row(read_model)), "balance_cents": 1}

    async def rows_now(_ids: Sequence[str]) -> dict[str, Row | None]:
        return {"a1": wrong}

    await read_model.rebuild(["a1"], rows_now)
    assert (await row(read_model))["balance_cents"] == 1
    assert await restore_accounts(read_model, store, ["a1"]) == 4
    assert (await row(read_model))["balance_cents"] == 70


async def test_offsets_are_kept_with_the_batch_and_only_move_forward(
    projection: AccountProjection, store: InMemoryEventStore, read_model: ReadModel
) -> None:
    events = await history(store)
    await projection.handle(events[:2], Position("t", {0: 5, 1: 9}))
    await projection.handle(events[2:], Position("t", {0: 3, 2: 1}))
    assert await read_model.offsets("t") == {0: 5, 1: 9, 2: 1}
    assert await read_model.offsets("other") == {}


async def test_a_read_model_of_an_earlier_layout_is_dropped_to_be_rebuilt(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/old.db"
    store = InMemoryEventStore()
    read_model, fresh = await SqliteReadModel.connect(url)
    await AccountProjection(read_model, store.load).handle(await history(store))
    await read_model.close()
    assert fresh
    with sqlite3.connect(tmp_path / "old.db") as db:
        db.execute("UPDATE read_model_layout SET version = 1")
    read_model, fresh = await SqliteReadModel.connect(url)
    assert fresh and [r async for r in read_model.rows()] == []
    await AccountProjection(read_model, store.load).handle(await store.load("a1"))
    await read_model.close()
    read_model, fresh = await SqliteReadModel.connect(url)
    assert not fresh  # it holds accounts again
    await read_model.close()


@pytest.mark.parametrize(
    ("change", "dropped"),
    [
        ("DROP TABLE read_model_layout", True),  # layout 1 kept no record of itself
        ("DELETE FROM read_model_layout", False),  # this layout, its row not yet written
    ],
)
async def test_the_layout_record_decides_whether_rows_are_dropped(
    tmp_path: Path, change: str, dropped: bool
) -> None:
    """An empty layout table is what another process creating the tables leaves for a
    moment: its accounts are kept, not dropped from under it."""
    url = f"sqlite+aiosqlite:///{tmp_path}/read.db"
    store = InMemoryEventStore()
    read_model, _ = await SqliteReadModel.connect(url)
    await AccountProjection(read_model, store.load).handle(await history(store))
    await read_model.close()
    with sqlite3.connect(tmp_path / "read.db") as db:
        db.execute(change)
    read_model, fresh = await SqliteReadModel.connect(url)
    assert fresh is dropped
    await read_model.close()
