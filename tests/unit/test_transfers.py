"""Transfers over the in-memory event store: every way a transfer ends, repeats, and the
process dying between any two steps, with the books balancing at every moment."""

import asyncio
import contextlib
import dataclasses
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bank.account import MAX_CENTS
from bank.commands import CloseAccount, DepositFunds, OpenAccount, TransferFunds
from bank.events import AccountType
from bank.transfer import SAME_ACCOUNT, Transfer, TransferStatus
from command_server.account_changes import CommandOutcome
from command_server.bootstrap import account_repository, command_dispatcher, transfer_process
from command_server.ledger import ledger_of
from command_server.transfers import STEP_FAILED, RefundNotTaken, TransferProcess
from core.dispatcher import Dispatcher
from core.errors import InvalidInput
from core.outbox import Outbox
from tests.fakes import InMemoryEventStore, RecordingEventBus


class Killed(BaseException):
    """The process 'died': every later step of this node fails. Not an Exception, as a
    death is not: nothing of the process's own handles it (a step's failure would end
    the transfer refused, where a death leaves it to the next process that looks)."""


Death = tuple[int, bool]  # dies at its n-th account step (from 0): before it, or after it


class Node:
    """One command server over the shared store: its own caches, dispatcher and process.
    With `dies`, it dies at one account step (before it is taken or right after, before
    the transfer records it), and every later step of it fails."""

    def __init__(self, store: InMemoryEventStore, dies: Death | None = None) -> None:
        outbox = Outbox(store, RecordingEventBus())
        self.store = store
        self.send = command_dispatcher(store, outbox)
        self._dies = dies
        self._steps = 0
        self.process = transfer_process(store, outbox, self._mortal(self.send))

    def _mortal(self, send: Dispatcher[CommandOutcome]) -> Dispatcher[CommandOutcome]:
        node = self

        class Mortal(Dispatcher[CommandOutcome]):
            async def send(self, message: object) -> CommandOutcome:
                step, node._steps = node._steps, node._steps + 1
                if node._dies is None or step < node._dies[0]:
                    return await send.send(message)
                if step == node._dies[0] and node._dies[1]:
                    await send.send(message)
                raise Killed

        return Mortal()

    async def open(self, cents: int) -> str:
        opened = await self.send.send(
            OpenAccount("Ada", AccountType.CURRENT, cents, str(uuid.uuid4()))
        )
        return opened.account_id

    async def transfer(
        self, source: str, target: str, cents: int, request_id: str = ""
    ) -> Transfer:
        command = TransferFunds(source, target, cents, "rent", request_id or str(uuid.uuid4()))
        return await self.process.drive(await self.process.request(command))


async def balance(store: InMemoryEventStore, account_id: str) -> int:
    accounts = account_repository(store, Outbox(store, RecordingEventBus()))
    account = await accounts.load(account_id)
    assert account is not None
    return account.balance_cents


async def books_balance(store: InMemoryEventStore) -> None:
    ledger = await ledger_of(store)
    assert ledger.verify() == []


@pytest.fixture
def node() -> Node:
    return Node(InMemoryEventStore())


async def test_a_transfer_moves_the_money_and_completes(node: Node) -> None:
    source, target = await node.open(1_000), await node.open(0)
    transfer = await node.transfer(source, target, 300)
    assert transfer.status is TransferStatus.COMPLETED
    assert (await balance(node.store, source), await balance(node.store, target)) == (700, 300)
    movements = [e for e in node.store.streams[target] if e.event_type == "FundsDeposited"]
    assert [e.schema_version for e in movements] == [2]
    await books_balance(node.store)


async def test_insufficient_funds_refuse_it_and_move_nothing(node: Node) -> None:
    source, target = await node.open(100), await node.open(0)
    transfer = await node.transfer(source, target, 300)
    assert transfer.status is TransferStatus.REFUSED
    assert transfer.refusal is not None
    assert (transfer.refusal.reason, transfer.refusal.refunded) == ("INSUFFICIENT_FUNDS", False)
    assert (await balance(node.store, source), await balance(node.store, target)) == (100, 0)
    await books_balance(node.store)


async def test_a_closed_target_sends_the_money_back(node: Node) -> None:
    source, target = await node.open(1_000), await node.open(0)
    await node.send.send(CloseAccount(target, None, "close"))
    transfer = await node.transfer(source, target, 300)
    assert transfer.refusal is not None
    assert (transfer.refusal.reason, transfer.refusal.refunded) == ("ACCOUNT_CLOSED", True)
    assert await balance(node.store, source) == 1_000
    await books_balance(node.store)


async def test_a_refused_credit_sends_the_money_back_even_to_a_closed_source(
    node: Node,
) -> None:
    source, target = await node.open(1_000), await node.open(0)
    command = TransferFunds(source, target, 300, "", "t-1")
    transfer_id = await node.process.request(command)
    # The source is debited, then both accounts are closed before the credit is tried.
    process = node.process
    transfer = await process.get(transfer_id)
    await process._take_next_step(transfer)  # the debit
    await node.send.send(CloseAccount(source, None, "close source"))
    await node.send.send(CloseAccount(target, None, "close target"))
    transfer = await process.drive(transfer_id)
    assert transfer.refusal is not None
    assert (transfer.refusal.reason, transfer.refusal.refunded) == ("ACCOUNT_CLOSED", True)
    assert await balance(node.store, source) == 1_000
    await books_balance(node.store)


@pytest.mark.parametrize("target_kind", ["unknown", "transfer", "source_is_a_transfer"])
async def test_an_id_that_is_no_account_refuses_the_transfer_before_anything_is_debited(
    node: Node, target_kind: str
) -> None:
    """An id the store records as a transfer's names no account: the transfer is refused
    with nothing debited, as one to an unknown id, and the books balance."""
    first, second = await node.open(1_000), await node.open(0)
    earlier = await node.transfer(first, second, 100)
    source, target = {
        "unknown": (first, str(uuid.uuid4())),
        "transfer": (first, earlier.id),
        "source_is_a_transfer": (earlier.id, second),
    }[target_kind]
    transfer = await node.transfer(source, target, 300)
    assert transfer.status is TransferStatus.REFUSED
    assert transfer.refusal is not None
    assert (transfer.refusal.reason, transfer.refusal.refunded) == ("ACCOUNT_NOT_FOUND", False)
    assert (await balance(node.store, first), await balance(node.store, second)) == (900, 100)
    steps = [e for e in node.store.streams[transfer.id]]
    assert [e.event_type for e in steps] == ["TransferRequested", "TransferRefused"]
    await books_balance(node.store)


@pytest.mark.parametrize("damaged", ["before the debit", "after the debit"])
async def test_a_step_that_fails_for_good_ends_the_transfer_refused(
    node: Node, damaged: str
) -> None:
    """A step that fails the same way every time (here: the target's stream cannot be
    read) is no reason to keep the money in flight: the transfer is refused, refunded if
    it was debited."""
    source, target = await node.open(1_000), await node.open(0)
    transfer_id = await node.process.request(TransferFunds(source, target, 300, "", "t-1"))
    if damaged == "after the debit":
        await node.process._take_next_step(await node.process.get(transfer_id))
    opened = node.store.streams[target][0]
    node.store.streams[target][0] = dataclasses.replace(opened, payload=b"\xff not an event")
    transfer = await Node(node.store).process.drive(transfer_id)
    assert transfer.refusal is not None
    refunded = damaged == "after the debit"
    assert (transfer.refusal.reason, transfer.refusal.refunded) == (STEP_FAILED, refunded)
    assert await balance(node.store, source) == 1_000


async def test_a_refund_that_cannot_be_taken_fails_the_drive_for_good(node: Node) -> None:
    """The money cannot be put anywhere: the drive fails with RefundNotTaken (which the
    bus's consumer parks), the transfer under way, its money in flight and counted."""
    source, target = await node.open(1_000), await node.open(0)
    await node.send.send(CloseAccount(target, None, "close"))
    command = TransferFunds(source, target, 300, "", "t-1")
    transfer_id = await node.process.request(command)
    transfer = await node.process.get(transfer_id)
    await node.process._take_next_step(transfer)  # the debit
    await node.send.send(DepositFunds(source, MAX_CENTS - 700, None, "fill up"))
    with pytest.raises(RefundNotTaken):
        await node.process.drive(transfer_id)
    assert (await node.process.get(transfer_id)).status is TransferStatus.PENDING
    ledger = await ledger_of(node.store)
    assert ledger.verify() == [] and ledger.in_flight == 300


async def test_a_repeated_request_is_one_transfer(node: Node) -> None:
    source, target = await node.open(1_000), await node.open(0)
    first, again = await asyncio.gather(
        node.transfer(source, target, 300, "pay-1"), node.transfer(source, target, 300, "pay-1")
    )
    assert first.id == again.id
    assert await balance(node.store, target) == 300
    with pytest.raises(InvalidInput) as reused:
        await node.transfer(source, target, 301, "pay-1")
    assert reused.value.reason == "REQUEST_ID_REUSED"


async def test_a_transfer_to_the_same_account_is_refused_before_anything_is_stored(
    node: Node,
) -> None:
    source = await node.open(1_000)
    with pytest.raises(InvalidInput) as refused:
        await node.transfer(source, source, 1)
    assert refused.value.reason == SAME_ACCOUNT
    assert [e.aggregate_type for s in node.store.streams.values() for e in s] == ["BankAccount"]


# Each account step a transfer takes (debit, credit; or debit, credit refused, refund),
# the process dying before it or right after it.
EVERY_DEATH = [(step, after) for step in range(3) for after in (False, True)]


@pytest.mark.parametrize(
    ("dies", "target_closed"),
    [(death, False) for death in EVERY_DEATH[:4]] + [(death, True) for death in EVERY_DEATH],
)
async def test_a_process_that_dies_between_steps_is_finished_by_another(
    dies: Death, target_closed: bool
) -> None:
    store = InMemoryEventStore()
    setup = Node(store)
    source, target = await setup.open(1_000), await setup.open(0)
    if target_closed:
        await setup.send.send(CloseAccount(target, None, "close"))
    dying = Node(store, dies)
    with pytest.raises(Killed):
        await dying.transfer(source, target, 300, "pay")
    await books_balance(store)  # mid-transfer: the money in flight is counted
    survivor = Node(store)
    every_event = [e for stream in store.streams.values() for e in stream]
    await survivor.process.resume(every_event)
    [transfer_id] = [a for a, s in store.streams.items() if s[0].aggregate_type == "Transfer"]
    ended = await survivor.process.get(transfer_id)
    assert ended.ended
    await books_balance(store)
    assert await balance(store, source) + await balance(store, target) == 1_000


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    amounts=st.lists(st.integers(1, 400), min_size=1, max_size=12),
    deaths=st.lists(
        st.one_of(st.none(), st.tuples(st.integers(0, 8), st.booleans())), min_size=2, max_size=3
    ),
    closed=st.sets(st.integers(0, 3), max_size=1),
)
def test_concurrent_transfers_in_a_ring_with_dying_processes_always_balance(
    amounts: list[int], deaths: list[Death | None], closed: set[int]
) -> None:
    """Transfers around a ring of four accounts, asked of several processes at once, some
    of which die after a few steps; then one more process resumes every transfer from
    the events. Every transfer ends, no money is made or lost, no step is taken twice."""
    asyncio.run(_ring(amounts, deaths, closed))


async def _ring(amounts: list[int], deaths: list[Death | None], closed: set[int]) -> None:
    store = InMemoryEventStore()
    setup = Node(store)
    ring = [await setup.open(500) for _ in range(4)]
    await setup.send.send(DepositFunds(ring[0], 50, None, "top-up"))
    for index in closed:
        await setup.send.send(CloseAccount(ring[index], None, f"close-{index}"))
    nodes = [Node(store, dies) for dies in deaths]

    async def transfer(i: int, cents: int) -> None:
        node = nodes[i % len(nodes)]
        with contextlib.suppress(Killed):
            await node.transfer(ring[i % 4], ring[(i + 1) % 4], cents, f"ring-{i}")

    await asyncio.gather(*(transfer(i, cents) for i, cents in enumerate(amounts)))
    await books_balance(store)
    survivor = Node(store)
    await survivor.process.resume([e for s in store.streams.values() for e in s])
    ledger = await ledger_of(store)
    assert ledger.verify() == []
    assert ledger.pending == 0 and ledger.in_flight == 0
    assert ledger.balances == 4 * 500 + 50
    assert len(ledger.transfers) == len(amounts)


async def test_resume_ignores_ended_transfers_and_accounts(node: Node) -> None:
    source, target = await node.open(1_000), await node.open(0)
    await node.transfer(source, target, 1)
    process = TransferProcess(node.process._transfers, node.send.send, node.process._is_account)
    await process.resume([e for s in node.store.streams.values() for e in s])
    assert await balance(node.store, target) == 1
