"""Command handlers over the in-memory event store: what is stored, published and answered."""

import asyncio
import uuid
from collections.abc import AsyncIterator, Sequence

import pytest

from bank.commands import CloseAccount, DepositFunds, OpenAccount, WithdrawFunds
from bank.events import AccountType
from command_server.account_changes import CommandOutcome
from command_server.bootstrap import command_dispatcher
from core.dispatcher import Dispatcher
from core.errors import ConcurrencyError, InvalidInput, NotFound, RuleViolation
from core.outbox import Outbox
from core.requests import Decision
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
    return command_dispatcher(store, outbox)


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
    # A new expected version makes a new request, with an id of its own.
    assert (await send.send(WithdrawFunds(account_id, 5, 1, "r2"))).version == 2


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


async def test_one_request_id_on_many_accounts_at_once_is_applied_once(
    send: Dispatcher[CommandOutcome], store: InMemoryEventStore
) -> None:
    accounts = [await open_with(send, 0) for _ in range(64)]
    deposits = [DepositFunds(a, i + 1, None, "shared") for i, a in enumerate(accounts)]
    first = await asyncio.gather(*(send.send(d) for d in deposits), return_exceptions=True)
    [winner] = [i for i, answer in enumerate(first) if isinstance(answer, CommandOutcome)]
    assert first[winner] == CommandOutcome(accounts[winner], 2)
    assert all(isinstance(a, InvalidInput) for i, a in enumerate(first) if i != winner)
    again = await asyncio.gather(*(send.send(d) for d in deposits), return_exceptions=True)
    assert [repr(a) for a in again] == [repr(a) for a in first]
    assert [len(store.streams[a]) for a in accounts].count(2) == 1


async def test_a_refusal_is_the_answer_to_every_repeat(
    send: Dispatcher[CommandOutcome], store: InMemoryEventStore
) -> None:
    account_id = await open_with(send, 50)
    overdraw = WithdrawFunds(account_id, 100, None, "w")
    with pytest.raises(RuleViolation, match="insufficient funds"):
        await send.send(overdraw)
    await send.send(DepositFunds(account_id, 100, None, "d"))
    with pytest.raises(RuleViolation, match="insufficient funds"):
        await send.send(overdraw)
    unknown = DepositFunds(str(uuid.uuid4()), 1, None, "x")
    for _ in range(2):
        with pytest.raises(NotFound):
            await send.send(unknown)
    assert len(store.streams[account_id]) == 2


async def test_a_repeat_answers_the_original_success_where_it_would_now_be_refused(
    send: Dispatcher[CommandOutcome], store: InMemoryEventStore
) -> None:
    account_id = await open_with(send, 100)
    everything = WithdrawFunds(account_id, 100, None, "all")
    assert await send.send(everything) == CommandOutcome(account_id, 2)
    assert await send.send(everything) == CommandOutcome(account_id, 2)
    assert len(store.streams[account_id]) == 2


async def test_a_refusal_is_decided_on_the_latest_state_not_a_cached_one(
    send: Dispatcher[CommandOutcome], store: InMemoryEventStore, outbox: Outbox
) -> None:
    other_server = command_dispatcher(store, outbox)
    account_id = await open_with(send, 50)
    with pytest.raises(RuleViolation):
        await send.send(WithdrawFunds(account_id, 100, None, "too-early"))  # caches version 1
    await other_server.send(DepositFunds(account_id, 100, None, "elsewhere"))
    # This server's cached state says 50 cents; the store says 150.
    assert await send.send(WithdrawFunds(account_id, 100, None, "now")) == CommandOutcome(
        account_id, 3
    )


async def test_a_decision_on_a_stale_cached_state_is_retried_on_the_latest(
    send: Dispatcher[CommandOutcome], store: InMemoryEventStore, outbox: Outbox
) -> None:
    other_server = command_dispatcher(store, outbox)
    account_id = await open_with(send, 0)
    await send.send(DepositFunds(account_id, 1, None, "here"))  # caches version 2
    await other_server.send(DepositFunds(account_id, 10, None, "there"))
    assert await send.send(DepositFunds(account_id, 100, None, "again")) == CommandOutcome(
        account_id, 4
    )
    assert [e.version for e in store.streams[account_id]] == [1, 2, 3, 4]


class CountingStore(InMemoryEventStore):
    """Counts the writes of decisions taken in turn."""

    def __init__(self) -> None:
        super().__init__()
        self.turn_writes: list[int] = []

    async def store_in_turn(self, decisions: Sequence[Decision], expected_version: int) -> int:
        self.turn_writes.append(len(decisions))
        return await super().store_in_turn(decisions, expected_version)


@pytest.fixture
def counting() -> CountingStore:
    return CountingStore()


async def test_commands_that_wait_on_one_account_are_stored_together_each_with_its_answer(
    counting: CountingStore,
) -> None:
    send = command_dispatcher(counting, Outbox(counting, RecordingEventBus()))
    account_id = await open_with(send, 100)
    counting.turn_writes.clear()  # the opening is a turn of one too
    answers = await asyncio.gather(
        *(send.send(WithdrawFunds(account_id, 1, None, f"w{i}")) for i in range(10))
    )
    assert sorted(a.version for a in answers) == list(range(2, 12))
    assert len(counting.turn_writes) < 10 and sum(counting.turn_writes) == 10
    again = [await send.send(WithdrawFunds(account_id, 1, None, f"w{i}")) for i in range(10)]
    assert again == answers  # every request's own version, on repeat too


async def test_in_a_batch_a_refused_command_leaves_the_others_their_own_answers(
    counting: CountingStore,
) -> None:
    send = command_dispatcher(counting, Outbox(counting, RecordingEventBus()))
    account_id = await open_with(send, 10)
    amounts = [4, 4, 4, 1, 1]  # the third finds 2 cents left; the last two fit
    answers = await asyncio.gather(
        *(send.send(WithdrawFunds(account_id, c, None, f"w{i}")) for i, c in enumerate(amounts)),
        return_exceptions=True,
    )
    assert [type(a).__name__ for a in answers] == [
        "CommandOutcome",
        "CommandOutcome",
        "RuleViolation",
        "CommandOutcome",
        "CommandOutcome",
    ]
    assert [getattr(a, "version", None) for a in answers] == [2, 3, None, 4, 5]
    assert max(counting.turn_writes) > 1  # they were decided together
    with pytest.raises(RuleViolation):  # and the refusal stands
        await send.send(WithdrawFunds(account_id, 4, None, "w2"))


async def test_a_batch_stopped_by_a_repeated_request_answers_every_command(
    counting: CountingStore,
) -> None:
    send = command_dispatcher(counting, Outbox(counting, RecordingEventBus()))
    account_id = await open_with(send, 0)
    first = await send.send(DepositFunds(account_id, 1, None, "d0"))
    answers = await asyncio.gather(
        send.send(DepositFunds(account_id, 1, None, "d1")),
        send.send(DepositFunds(account_id, 1, None, "d0")),  # a repeat, mid-batch
        send.send(DepositFunds(account_id, 1, None, "d2")),
        send.send(DepositFunds(account_id, 5, None, "d1")),  # the same id, other content
        return_exceptions=True,
    )
    assert answers[1] == first
    assert isinstance(answers[3], InvalidInput)
    assert sorted(getattr(a, "version", 0) for a in (answers[0], answers[2])) == [3, 4]
    assert [e.version for e in counting.streams[account_id]] == [1, 2, 3, 4]
