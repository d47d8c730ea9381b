"""The repository reads only the events it has not seen, and never hands out shared state."""

import pytest

from bank.account import BankAccount
from bank.events import AccountType
from command_server.bootstrap import account_repository
from core.errors import ConcurrencyError
from core.events import StoredEvent
from core.outbox import Outbox
from core.repository import Repository
from tests.contract.event_store_contract import request
from tests.fakes import InMemoryEventStore, RecordingEventBus


class CountingStore(InMemoryEventStore):
    def __init__(self) -> None:
        super().__init__()
        self.events_read = 0

    async def load(self, aggregate_id: str, after_version: int = 0) -> list[StoredEvent]:
        events = await super().load(aggregate_id, after_version)
        self.events_read += len(events)
        return events


def repository(store: InMemoryEventStore) -> Repository[BankAccount]:
    outbox = Outbox(store, RecordingEventBus())  # never started: only the store matters here
    return account_repository(store, outbox)


async def test_a_known_account_is_brought_up_to_date_from_newer_events_only() -> None:
    store = CountingStore()
    writer, reader = repository(store), repository(store)
    account = BankAccount.open("a1", "Ada", AccountType.SAVINGS, 0)
    await writer.save(account, request("r1"))
    assert (await reader.load("a1")) is not None
    for cents in (1, 2, 3):
        latest = await writer.load("a1")
        assert latest is not None
        latest.deposit(cents)
        await writer.save(latest, request(f"d{cents}"))
    store.events_read = 0
    caught_up = await reader.load("a1", latest=True)
    assert caught_up is not None
    assert (caught_up.balance_cents, caught_up.version) == (6, 4)
    assert store.events_read == 3  # not the opening event again


async def test_a_state_decided_on_while_stale_is_never_saved_and_then_caught_up() -> None:
    store = CountingStore()
    writer, reader = repository(store), repository(store)
    await writer.save(BankAccount.open("a1", "Ada", AccountType.SAVINGS, 10), request("o"))
    assert (await reader.load("a1")) is not None  # the reader now knows version 1
    moved = await writer.load("a1")
    assert moved is not None
    moved.deposit(5)
    await writer.save(moved, request("d"))  # version 2, unknown to the reader
    stale = await reader.load("a1")
    assert stale is not None and stale.version == 1  # trusted without asking the store
    stale.withdraw(10)
    with pytest.raises(ConcurrencyError):
        await reader.save(stale, request("w"))
    store.events_read = 0
    again = await reader.load("a1")
    assert again is not None and (again.version, again.balance_cents) == (2, 15)
    assert store.events_read == 1  # only the deposit it missed, not the whole stream


async def test_an_aggregate_caught_up_after_a_conflict_is_trusted_again() -> None:
    store = CountingStore()
    writer, reader = repository(store), repository(store)
    await writer.save(BankAccount.open("a1", "Ada", AccountType.SAVINGS, 10), request("o"))
    stale = await reader.load("a1")
    moved = await writer.load("a1")
    assert stale is not None and moved is not None
    moved.deposit(5)
    await writer.save(moved, request("d"))
    stale.deposit(1)
    with pytest.raises(ConcurrencyError):
        await reader.save(stale, request("late"))
    caught_up = await reader.load("a1")
    assert caught_up is not None
    caught_up.deposit(1)
    await reader.save(caught_up, request("late again"))
    store.events_read = 0
    trusted = await reader.load("a1")
    assert trusted is not None and (trusted.version, trusted.balance_cents) == (3, 16)
    assert store.events_read == 0  # its own save is the latest it knows of


async def test_loaded_aggregates_do_not_share_state() -> None:
    store = InMemoryEventStore()
    accounts = repository(store)
    await accounts.save(BankAccount.open("a1", "Ada", AccountType.SAVINGS, 10), request("r1"))
    first, second = await accounts.load("a1"), await accounts.load("a1")
    assert first is not None and second is not None
    first.withdraw(10)  # decided, never saved: e.g. the append then lost a race
    assert second.balance_cents == 10
    again = await accounts.load("a1")
    assert again is not None and (again.balance_cents, again.version) == (10, 1)


async def test_an_unknown_aggregate_is_none() -> None:
    assert await repository(InMemoryEventStore()).load("nobody") is None
