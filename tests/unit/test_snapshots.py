"""Snapshots on the command side: taken every N events, used on load, ignored when of
another schema, never needed for correctness (an account loads the same with or without)."""

import logging
import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bank.account import BankAccount
from bank.events import AccountType
from bank.wire import SCHEMA, BankAccountSnapshots
from command_server.bootstrap import account_repository
from core.aggregate import Snapshot, Snapshotting
from core.events import StoredEvent
from core.outbox import Outbox
from core.repository import Repository
from core.requests import Request
from tests.fakes import InMemoryEventStore, RecordingEventBus


class CountingStore(InMemoryEventStore):
    def __init__(self) -> None:
        super().__init__()
        self.events_read = 0
        self.refuse_snapshots = False

    async def load(self, aggregate_id: str, after_version: int = 0) -> list[StoredEvent]:
        events = await super().load(aggregate_id, after_version)
        self.events_read += len(events)
        return events

    async def save_snapshot(self, snapshot: Snapshot) -> None:
        if self.refuse_snapshots:
            raise ConnectionError("the store is away")
        await super().save_snapshot(snapshot)


def accounts(store: InMemoryEventStore, every: int) -> Repository[BankAccount]:
    """A repository of its own: nothing it loads is known to it yet."""
    return account_repository(store, Outbox(store, RecordingEventBus()), snapshot_every=every)


async def opened_with_deposits(store: InMemoryEventStore, every: int, deposits: int) -> str:
    repository = accounts(store, every)
    account = BankAccount.open(str(uuid.uuid4()), "Ada", AccountType.SAVINGS, 0)
    await repository.save(account, Request(f"{account.id}-open", "f" * 64))
    for n in range(deposits):
        account.deposit(n + 1)
        await repository.save(account, Request(f"{account.id}-d{n}", "f" * 64))
    return account.id


def state(account: BankAccount | None) -> tuple[object, ...]:
    assert account is not None
    return (account.id, account.version, account.holder, account.balance_cents, account.is_open)


async def test_a_snapshot_is_kept_each_time_the_version_crosses_a_multiple_of_n() -> None:
    store = CountingStore()
    account_id = await opened_with_deposits(store, every=10, deposits=24)  # version 25
    kept = await store.load_snapshot(account_id)
    assert kept is not None and (kept.version, kept.schema) == (20, SCHEMA)


async def test_loading_reads_only_the_events_after_the_snapshot() -> None:
    store = CountingStore()
    account_id = await opened_with_deposits(store, every=10, deposits=24)
    store.events_read = 0
    loaded = await accounts(store, every=10).load(account_id)
    assert store.events_read == 5
    assert state(loaded) == state(await accounts(store, every=0).load(account_id))
    assert state(loaded)[1:4] == (25, "Ada", sum(range(1, 25)))


async def test_a_snapshot_of_another_schema_is_ignored() -> None:
    store = CountingStore()
    account_id = await opened_with_deposits(store, every=0, deposits=9)
    await store.save_snapshot(Snapshot(account_id, 5, "BankAccount/0", b"not json at all"))
    store.events_read = 0
    loaded = await accounts(store, every=100).load(account_id)
    assert store.events_read == 10
    assert state(loaded)[1:4] == (10, "Ada", sum(range(1, 10)))


@pytest.mark.parametrize(
    "damaged",
    [b"not json at all", b'{"holder": "Ada"}', b'{"holder": "Ada", "balance_cents": "lots"}'],
)
async def test_a_damaged_snapshot_is_a_cache_miss_not_a_failed_load(
    damaged: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    store = CountingStore()
    account_id = await opened_with_deposits(store, every=0, deposits=9)
    await store.save_snapshot(Snapshot(account_id, 5, SCHEMA, damaged))
    with caplog.at_level(logging.WARNING):
        loaded = await accounts(store, every=100).load(account_id)
    assert state(loaded)[1:4] == (10, "Ada", sum(range(1, 10)))
    assert f"snapshot of {account_id} unreadable" in caplog.text


async def test_a_snapshot_that_cannot_be_kept_costs_the_command_nothing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = CountingStore()
    store.refuse_snapshots = True
    with caplog.at_level(logging.WARNING):
        account_id = await opened_with_deposits(store, every=5, deposits=6)
    assert [e.version for e in store.streams[account_id]] == list(range(1, 8))
    assert await store.load_snapshot(account_id) is None
    assert "snapshot of" in caplog.text and "not kept" in caplog.text


async def test_an_account_known_only_by_its_snapshot_still_loads() -> None:
    store = InMemoryEventStore()
    account_id = await opened_with_deposits(store, every=10, deposits=9)  # version 10
    loaded = await accounts(store, every=10).load(account_id)
    assert state(loaded)[1:4] == (10, "Ada", sum(range(1, 10)))


def test_the_codec_keeps_every_field_of_the_state() -> None:
    codec = BankAccountSnapshots()
    account = BankAccount.open("a1", "Zoë \u00e9\U0001f600", AccountType.CURRENT, 2**63 - 2)
    account.close()
    restored = codec.decode("a1", account.version, codec.encode(account))
    assert vars(restored) == vars(account) | {"_pending": []}


@given(
    every=st.integers(min_value=1, max_value=7),
    amounts=st.lists(st.integers(min_value=-50, max_value=50), max_size=40),
    close=st.booleans(),
)
@settings(max_examples=60, deadline=None)
async def test_with_or_without_snapshots_an_account_loads_the_same(
    every: int, amounts: list[int], close: bool
) -> None:
    store = InMemoryEventStore()
    writer = accounts(store, every)
    account = BankAccount.open(str(uuid.uuid4()), "Ada", AccountType.SAVINGS, 100)
    await writer.save(account, Request("open", "f" * 64))
    for n, amount in enumerate(amounts):
        if amount > 0:
            account.deposit(amount)
        elif 0 < -amount <= account.balance_cents:
            account.withdraw(-amount)
        else:
            continue
        await writer.save(account, Request(f"r{n}", "f" * 64))
    if close:
        account.close()
        await writer.save(account, Request("close", "f" * 64))
    with_snapshots = await accounts(store, every).load(account.id)
    assert state(with_snapshots) == state(await accounts(store, every=0).load(account.id))
    kept = await store.load_snapshot(account.id)
    assert kept is None or kept.version == account.version // every * every


def test_snapshotting_is_due_only_across_a_multiple() -> None:
    policy = Snapshotting(BankAccountSnapshots(), every=10)
    assert [policy.due(b, a) for b, a in [(9, 10), (10, 11), (19, 21), (3, 9), (0, 30)]] == [
        True,
        False,
        True,
        False,
        True,
    ]
    assert not Snapshotting(BankAccountSnapshots(), every=0).due(0, 1000)


async def test_with_snapshots_off_none_is_taken_or_read() -> None:
    store = CountingStore()
    account_id = await opened_with_deposits(store, every=10, deposits=24)
    store.events_read = 0
    assert state(await accounts(store, every=0).load(account_id))[1] == 25
    assert store.events_read == 25
    other = await opened_with_deposits(store, every=0, deposits=24)
    assert await store.load_snapshot(other) is None
