"""The contract every ReadModel adapter keeps as the projection drives it. Subclass it."""

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Sequence

import pytest

from bank.account import BankAccount
from bank.events import AccountType
from bank.read_model import Generations, Position, ReadModel
from bank.read_rows import Projected, Row, fold
from command_server.bootstrap import account_repository
from core.events import StoredEvent
from core.outbox import Outbox
from projector.check import differences
from projector.projection import AccountProjection
from projector.restore import restore_accounts
from tests.contract.event_store_contract import append, request
from tests.fakes import InMemoryEventStore, RecordingEventBus


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


class ReadModelContract:
    """The projector applies each account event exactly once, in order, whatever the read
    model; a subclass says how to open its read model on an empty database (`read_model`)."""

    @pytest.fixture
    async def read_model(self) -> AsyncIterator[ReadModel]:
        raise NotImplementedError("a subclass says how to open its read model")
        yield  # pragma: no cover

    @pytest.fixture
    def store(self) -> InMemoryEventStore:
        return InMemoryEventStore()

    @pytest.fixture
    def projection(self, read_model: ReadModel, store: InMemoryEventStore) -> AccountProjection:
        return AccountProjection(read_model, store.load)

    async def test_events_in_order_give_the_folded_row(
        self, projection: AccountProjection, store: InMemoryEventStore, read_model: ReadModel
    ) -> None:
        events = await history(store)
        await projection.handle(events)
        got = await row(read_model)
        assert (got["balance_cents"], got["status"], got["version"]) == (70, "CLOSED", 4)
        assert (got["holder"], got["account_type"]) == ("Ada", "CURRENT")

    async def test_each_event_leaves_its_movement_with_the_balance_after_it(
        self, projection: AccountProjection, store: InMemoryEventStore, read_model: ReadModel
    ) -> None:
        events = await history(store)
        await projection.handle(events[:2])
        await projection.handle(events)  # the first two again: no second movement
        [lines] = (await read_model.movements(["a1", "absent"])).values()
        assert [
            (m["version"], m["kind"], m["amount_cents"], m["balance_cents"]) for m in lines
        ] == [
            (1, "OPENED", 100, 100),
            (2, "DEPOSIT", 20, 120),
            (3, "WITHDRAWAL", -50, 70),
            (4, "CLOSED", 0, 70),
        ]
        assert lines == fold(events).movements

    async def test_transfer_events_on_the_bus_leave_the_read_model_alone(
        self, projection: AccountProjection, store: InMemoryEventStore, read_model: ReadModel
    ) -> None:
        events = await history(store)
        transfer = StoredEvent(**{**events[0].__dict__, "aggregate_id": "t1"})
        transfer = dataclasses.replace(transfer, aggregate_type="Transfer", event_id="t")
        await projection.handle([transfer, *events])
        assert [r["account_id"] async for r in read_model.rows()] == ["a1"]
        assert list(await read_model.movements(["t1"])) == []

    async def test_a_transfers_stream_in_the_store_is_no_account_to_restore_catch_up_or_check(
        self, projection: AccountProjection, store: InMemoryEventStore, read_model: ReadModel
    ) -> None:
        events = await history(store)
        transfer = dataclasses.replace(
            events[0], aggregate_id="t1", aggregate_type="Transfer", event_id="t"
        )
        await append(store, [transfer], 0, request("transfer"))
        assert await projection.catch_up(store.aggregate_ids()) == 4  # the account's
        assert await restore_accounts(read_model, store, ["a1", "t1"]) == (1, 4)
        assert await differences(read_model, store) == []
        assert [r["account_id"] async for r in read_model.rows()] == ["a1"]

    async def test_redelivered_events_are_applied_once(
        self, projection: AccountProjection, store: InMemoryEventStore, read_model: ReadModel
    ) -> None:
        events = await history(store)
        await projection.handle(events[:3])
        await projection.handle(events[1:3])
        await projection.handle(events)
        await projection.handle(events[2:])
        assert (await row(read_model))["balance_cents"] == 70

    async def test_a_gap_is_filled_from_the_event_store(
        self, projection: AccountProjection, store: InMemoryEventStore, read_model: ReadModel
    ) -> None:
        events = await history(store)
        await projection.handle([events[0]])
        await projection.handle([events[3]])
        got = await row(read_model)
        assert (got["balance_cents"], got["version"]) == (70, 4)

    async def test_catch_up_applies_what_the_bus_never_delivered(
        self, projection: AccountProjection, store: InMemoryEventStore, read_model: ReadModel
    ) -> None:
        events = await history(store)
        await projection.handle(events[:2])
        assert await projection.catch_up(store.aggregate_ids()) == 2
        assert await projection.catch_up(store.aggregate_ids()) == 0
        assert (await row(read_model))["version"] == 4

    async def test_a_failing_batch_leaves_nothing_half_applied(
        self, projection: AccountProjection, store: InMemoryEventStore, read_model: ReadModel
    ) -> None:
        events = await history(store)
        broken = StoredEvent(**{**events[1].__dict__, "version": 3, "event_type": "Unknown"})
        with pytest.raises(ValueError, match="unknown event type"):
            await projection.handle([events[0], events[1], broken])
        assert [r async for r in read_model.rows()] == []

    async def test_a_restore_racing_the_projector_never_takes_a_row_back(
        self, read_model: ReadModel
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
        assert await restoring == (1, 1)
        await projecting
        got = await row(read_model)
        assert (got["version"], got["balance_cents"]) == (2, 105)

    async def test_a_restore_rewrites_a_wrong_row(self, read_model: ReadModel) -> None:
        store = InMemoryEventStore()
        events = await history(store)
        projection = AccountProjection(read_model, store.load)
        await projection.handle(events)
        wrong = {**(await row(read_model)), "balance_cents": 1}

        async def rows_now(_ids: Sequence[str]) -> dict[str, Projected]:
            return {"a1": Projected(wrong, fold(events).movements)}

        await read_model.rebuild(["a1"], rows_now)
        assert (await row(read_model))["balance_cents"] == 1
        assert await restore_accounts(read_model, store, ["a1"]) == (1, 4)
        assert (await row(read_model))["balance_cents"] == 70
        assert (await read_model.movements(["a1"]))["a1"] == fold(events).movements

    async def test_offsets_are_kept_with_the_batch_and_only_move_forward(
        self, projection: AccountProjection, store: InMemoryEventStore, read_model: ReadModel
    ) -> None:
        events = await history(store)
        await projection.handle(events[:2], Position("t", {0: 5, 1: 9}))
        await projection.handle(events[2:], Position("t", {0: 3, 2: 1}))
        assert await read_model.offsets("t") == {0: 5, 1: 9, 2: 1}
        assert await read_model.offsets("other") == {}


class GenerationsContract:
    """A rebuild builds a new generation beside the live one; mixed into ReadModelContract's
    subclasses (it uses their fixtures)."""

    async def test_a_new_generation_is_written_by_batches_and_built_then_switched_to(
        self, projection: AccountProjection, store: InMemoryEventStore, read_model: ReadModel
    ) -> None:
        events = await history(store)
        await projection.handle(events[:2])
        assert await read_model.generations() == Generations(1, None)
        new = await read_model.begin_generation()
        assert await read_model.generations() == Generations(1, new)
        # A batch after the start writes both: the new generation's row, never folded
        # yet, is filled from the event store (a gap), which holds all four events.
        await projection.handle([events[2]])
        assert (await row(read_model))["version"] == 4  # the live generation's
        assert await restore_accounts(read_model, store, ["a1"], new) == (1, 4)
        await projection.handle([events[3]])  # a duplicate in the new generation
        assert await read_model.switch_to(new) == 1
        assert await read_model.generations() == Generations(new, None)
        assert await row(read_model) == fold(events).row
        assert (await read_model.movements(["a1"]))["a1"] == fold(events).movements
        await read_model.drop_generation(1)

    async def test_an_event_after_an_account_was_folded_reaches_the_new_generation(
        self, projection: AccountProjection, store: InMemoryEventStore, read_model: ReadModel
    ) -> None:
        """The race a rebuild must win: an account folded into the new generation, then
        changed; the batch that carries the change must write the new generation too."""
        repo = account_repository(store, Outbox(store, RecordingEventBus()))
        account = BankAccount.open("a1", "Ada", AccountType.CURRENT, 100)
        first = await repo.save(account, request("open"))
        await projection.handle(first)
        new = await read_model.begin_generation()
        assert await restore_accounts(read_model, store, ["a1"], new) == (1, 1)
        account.deposit(5)
        later = await repo.save(account, request("deposit"))
        await projection.handle(later)
        await read_model.switch_to(new)
        assert (await row(read_model))["balance_cents"] == 105
        assert len((await read_model.movements(["a1"]))["a1"]) == 2

    async def test_a_batch_after_the_switch_writes_the_new_generation_only(
        self, projection: AccountProjection, store: InMemoryEventStore, read_model: ReadModel
    ) -> None:
        events = await history(store)
        await projection.handle(events[:1])
        new = await read_model.begin_generation()
        await read_model.switch_to(new)
        await read_model.drop_generation(1)  # a batch writing it now would fail
        await projection.handle(events[1:])
        assert await row(read_model) == fold(events).row

    async def test_a_stopped_rebuild_is_started_over_and_generations_in_use_are_kept(
        self, read_model: ReadModel
    ) -> None:
        first = await read_model.begin_generation()
        second = await read_model.begin_generation()
        assert (first, second) == (2, 3)
        assert await read_model.generations() == Generations(1, 3)
        with pytest.raises(ValueError, match="in use"):
            await read_model.drop_generation(1)
        with pytest.raises(ValueError, match="not the one being built"):
            await read_model.switch_to(2)
