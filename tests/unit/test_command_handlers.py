"""Command handlers over the in-memory event store: what is stored, published and answered."""

import asyncio
import uuid

import pytest

from command_server.domain.account import BankAccount
from command_server.domain.commands import CloseAccount, DepositFunds, OpenAccount, WithdrawFunds
from command_server.domain.events import AccountType
from command_server.event_codec import ProtobufEventCodec
from command_server.handlers import CommandOutcome, register_handlers
from core.dispatcher import Dispatcher
from core.errors import ConcurrencyError, NotFound
from core.repository import Repository
from tests.fakes import InMemoryEventStore, RecordingEventBus


@pytest.fixture
def store() -> InMemoryEventStore:
    return InMemoryEventStore()


@pytest.fixture
def bus() -> RecordingEventBus:
    return RecordingEventBus()


@pytest.fixture
def send(store: InMemoryEventStore, bus: RecordingEventBus) -> Dispatcher[CommandOutcome]:
    accounts = Repository(store, bus, ProtobufEventCodec(), BankAccount, "BankAccount")
    dispatcher: Dispatcher[CommandOutcome] = Dispatcher()
    register_handlers(dispatcher, accounts)
    return dispatcher


async def open_with(send: Dispatcher[CommandOutcome], cents: int) -> str:
    outcome = await send.send(OpenAccount("Ada", AccountType.SAVINGS, cents, "req-open"))
    return outcome.account_id


async def test_open_stores_and_publishes_one_event_at_version_one(
    send: Dispatcher[CommandOutcome], store: InMemoryEventStore, bus: RecordingEventBus
) -> None:
    outcome = await send.send(OpenAccount("Ada", AccountType.SAVINGS, 100, "req-1"))
    assert outcome.version == 1
    assert uuid.UUID(outcome.account_id)
    [stored] = store.streams[outcome.account_id]
    assert (stored.event_type, stored.version, stored.request_id) == ("AccountOpened", 1, "req-1")
    assert stored.aggregate_type == "BankAccount"
    assert bus.published == [stored]


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
