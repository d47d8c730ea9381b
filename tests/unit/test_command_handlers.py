"""Command handlers over the in-memory event store: what is stored, published and answered."""

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest

from command_server.domain.account import BankAccount
from command_server.domain.commands import CloseAccount, DepositFunds, OpenAccount, WithdrawFunds
from command_server.domain.events import AccountType
from command_server.event_codec import ProtobufEventCodec
from command_server.handlers import CommandOutcome, register_handlers
from core.dispatcher import Dispatcher
from core.errors import ConcurrencyError, InvalidInput, NotFound
from core.outbox import Outbox
from core.repository import Repository
from tests.fakes import InMemoryEventStore, RecordingEventBus


@pytest.fixture
def store() -> InMemoryEventStore:
    return InMemoryEventStore()


@pytest.fixture
def bus() -> RecordingEventBus:
    return RecordingEventBus()


@pytest.fixture
async def outbox(store: InMemoryEventStore, bus: RecordingEventBus) -> AsyncIterator[Outbox]:
    outbox = Outbox(store, bus)
    await outbox.start()
    yield outbox
    await outbox.close()


@pytest.fixture
def send(store: InMemoryEventStore, outbox: Outbox) -> Dispatcher[CommandOutcome]:
    accounts = Repository(store, outbox, ProtobufEventCodec(), BankAccount, "BankAccount")
    dispatcher: Dispatcher[CommandOutcome] = Dispatcher()
    register_handlers(dispatcher, accounts)
    return dispatcher


async def open_with(send: Dispatcher[CommandOutcome], cents: int) -> str:
    outcome = await send.send(OpenAccount("Ada", AccountType.SAVINGS, cents, str(uuid.uuid4())))
    return outcome.account_id


async def test_open_stores_and_publishes_one_event_at_version_one(
    send: Dispatcher[CommandOutcome],
    store: InMemoryEventStore,
    bus: RecordingEventBus,
    outbox: Outbox,
) -> None:
    outcome = await send.send(OpenAccount("Ada", AccountType.SAVINGS, 100, "req-1"))
    assert outcome.version == 1
    assert uuid.UUID(outcome.account_id)
    [stored] = store.streams[outcome.account_id]
    assert (stored.event_type, stored.version, stored.request_id) == ("AccountOpened", 1, "req-1")
    assert stored.aggregate_type == "BankAccount"
    await outbox.close()
    assert bus.published == [stored]
    assert store.published == {stored.event_id}


async def test_each_command_returns_the_version_after_it(
    send: Dispatcher[CommandOutcome],
) -> None:
    account_id = await open_with(send, 100)
    assert (await send.send(DepositFunds(account_id, 5, None, "r2"))).version == 2
    assert (await send.send(WithdrawFunds(account_id, 105, None, "r3"))).version == 3
    assert (await send.send(CloseAccount(account_id, None, "r4"))).version == 4


async def test_unknown_account_is_not_found(send: Dispatcher[CommandOutcome]) -> None:
    with pytest.raises(NotFound, match=r"^Incorrect account ID provided!$"):
        await send.send(DepositFunds(str(uuid.uuid4()), 5, None, "r"))


async def test_wrong_expected_version_is_a_conflict_and_stores_nothing(
    send: Dispatcher[CommandOutcome], store: InMemoryEventStore
) -> None:
    account_id = await open_with(send, 100)
    with pytest.raises(ConcurrencyError, match="expected_version is 2"):
        await send.send(WithdrawFunds(account_id, 5, 2, "r"))
    assert len(store.streams[account_id]) == 1
    assert (await send.send(WithdrawFunds(account_id, 5, 1, "r"))).version == 2


async def test_concurrent_withdrawals_without_expected_version_never_overdraw(
    send: Dispatcher[CommandOutcome], store: InMemoryEventStore
) -> None:
    account_id = await open_with(send, 10)
    results = await asyncio.gather(
        *(send.send(WithdrawFunds(account_id, 1, None, f"r{i}")) for i in range(30)),
        return_exceptions=True,
    )
    assert sum(isinstance(r, CommandOutcome) for r in results) == 10
    history = await store.load(account_id)
    assert [e.version for e in history] == list(range(1, 12))


async def test_a_repeated_request_has_one_effect_and_the_original_answer(
    send: Dispatcher[CommandOutcome], store: InMemoryEventStore
) -> None:
    first = await send.send(OpenAccount("Ada", AccountType.SAVINGS, 100, "open-1"))
    again = await send.send(OpenAccount("Ada", AccountType.SAVINGS, 100, "open-1"))
    assert again == first
    deposit = DepositFunds(first.account_id, 5, None, "dep-1")
    assert (
        await send.send(deposit) == await send.send(deposit) == CommandOutcome(first.account_id, 2)
    )
    assert [e.version for e in store.streams[first.account_id]] == [1, 2]
    assert len(store.streams) == 1


async def test_concurrent_repeats_of_one_open_make_one_account(
    send: Dispatcher[CommandOutcome], store: InMemoryEventStore
) -> None:
    command = OpenAccount("Ada", AccountType.SAVINGS, 100, "open-twice")
    outcomes = await asyncio.gather(*(send.send(command) for _ in range(5)))
    assert len(set(outcomes)) == 1
    assert len(store.streams) == 1


async def test_a_request_id_reused_for_other_content_is_refused(
    send: Dispatcher[CommandOutcome], store: InMemoryEventStore
) -> None:
    account_id = await open_with(send, 100)
    await send.send(WithdrawFunds(account_id, 5, None, "w-1"))
    with pytest.raises(InvalidInput, match="request_id 'w-1' was already used"):
        await send.send(WithdrawFunds(account_id, 6, None, "w-1"))
    with pytest.raises(InvalidInput, match="already used"):
        await send.send(DepositFunds(account_id, 5, None, "w-1"))
    assert len(store.streams[account_id]) == 2


async def test_without_request_id_every_command_counts(
    send: Dispatcher[CommandOutcome], store: InMemoryEventStore
) -> None:
    account_id = await open_with(send, 0)
    for _ in range(3):
        await send.send(DepositFunds(account_id, 1, None, ""))
    assert len(store.streams[account_id]) == 4
    assert all(e.request_id for e in store.streams[account_id])
