"""Property: two command servers sharing one event store decide each request once.

Hypothesis draws rounds of deposits, withdrawals and closes, sent concurrently
within a round to either of two command sides (each with its own connections,
aggregate cache and per-account turns, as two processes have), with request ids
drawn from a small pool so that ids are repeated, for the same command and for
different ones, at once and later. The store and every answer are then checked
against what a request id means:

- all answers for one request id are the same, except "already used" refusals of
  commands that differ from the one that was decided;
- a request id has at most one effect in the store, and has one exactly when its
  answer was OK, at the version and on the account that answer named;
- each account's stream, replayed, keeps every rule (no overdraft, nothing after
  closing) with exactly the amounts of the requests that caused it.
"""

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.factories import open_event_store
from bank.commands import CloseAccount, DepositFunds, OpenAccount, WithdrawFunds
from bank.events import AccountType
from bank.wire import ProtobufEventCodec
from command_server.account_changes import CommandOutcome
from command_server.bootstrap import command_dispatcher
from core.dispatcher import Dispatcher
from core.errors import DomainError
from core.event_store import EventStore
from core.events import StoredEvent
from core.outbox import Outbox
from harness.stack import (
    mongo_url,
    mysql_url,
    scratch_mongo_database,
    scratch_mysql_database,
)
from tests.fakes import RecordingEventBus

OPENING_CENTS = 50
REUSED = "was already used for a different command"
Answer = tuple[str, str]  # ("OK", "<account>@<version>") or (error kind, message)


@dataclass(frozen=True)
class Op:
    side: int
    kind: str
    account: int
    cents: int
    request: str

    def content(self) -> tuple[str, int, int]:
        return (self.kind, self.account, self.cents if self.kind != "close" else 0)


ops = st.builds(
    Op,
    side=st.integers(0, 1),
    kind=st.sampled_from(["deposit"] * 4 + ["withdraw"] * 4 + ["close"]),
    account=st.integers(0, 1),
    cents=st.integers(1, 60),
    request=st.one_of(st.sampled_from([f"r{i}" for i in range(5)]), st.uuids().map(str)),
)
rounds = st.lists(st.lists(ops, min_size=1, max_size=6), min_size=1, max_size=6)


@pytest.fixture(params=["sqlite", "mysql", "mongo"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """One store for the test; each example works on accounts and request ids of its own."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path}/events.db"
    elif request.param == "mysql":
        with scratch_mysql_database("decided_once") as name:
            yield mysql_url(name)
    else:
        with scratch_mongo_database("decided_once") as name:
            yield mongo_url(name)


# The store is shared by the examples on purpose: each uses accounts and ids of its own.
@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(plan=rounds)
def test_two_command_sides_decide_each_request_once(store_url: str, plan: list[list[Op]]) -> None:
    asyncio.run(_run_and_check(store_url, plan))


async def _run_and_check(store_url: str, plan: list[list[Op]]) -> None:
    example = uuid.uuid4().hex[:8]  # request ids of this example only
    async with _two_sides(store_url) as (store, sides):
        accounts = [
            (
                await sides[0].send(OpenAccount("Ada", AccountType.SAVINGS, OPENING_CENTS, ""))
            ).account_id
            for _ in range(2)
        ]
        answered: list[tuple[Op, Answer]] = []
        for drawn in plan:
            round_ = [_scoped(op, example) for op in drawn]
            answers = await asyncio.gather(*(_send(sides, accounts, op) for op in round_))
            answered.extend(zip(round_, answers, strict=True))
        streams = {a: await store.load(a) for a in accounts}
    _check_answers_per_request(answered)
    _check_effects(answered, accounts, streams)


@asynccontextmanager
async def _two_sides(
    store_url: str,
) -> AsyncIterator[tuple[EventStore, list[Dispatcher[CommandOutcome]]]]:
    stores = [await open_event_store(store_url) for _ in range(2)]
    outboxes = [Outbox(store, RecordingEventBus()) for store in stores]  # never started
    try:
        yield stores[0], [command_dispatcher(s, o) for s, o in zip(stores, outboxes, strict=True)]
    finally:
        for store in stores:
            await store.close()


def _scoped(op: Op, example: str) -> Op:
    return Op(op.side, op.kind, op.account, op.cents, f"{example}-{op.request}")


async def _send(sides: list[Dispatcher[CommandOutcome]], accounts: list[str], op: Op) -> Answer:
    account_id = accounts[op.account]
    command: object
    if op.kind == "deposit":
        command = DepositFunds(account_id, op.cents, None, op.request)
    elif op.kind == "withdraw":
        command = WithdrawFunds(account_id, op.cents, None, op.request)
    else:
        command = CloseAccount(account_id, None, op.request)
    try:
        outcome = await sides[op.side].send(command)
    except DomainError as error:
        return (type(error).__name__, error.message)
    return ("OK", f"{outcome.account_id}@{outcome.version}")


def _check_answers_per_request(answered: list[tuple[Op, Answer]]) -> None:
    by_request: dict[str, list[tuple[Op, Answer]]] = {}
    for op, answer in answered:
        by_request.setdefault(op.request, []).append((op, answer))
    for request_id, tries in by_request.items():
        decided = [(op, answer) for op, answer in tries if REUSED not in answer[1]]
        assert decided, f"{request_id}: every try was refused as a reuse: {tries}"
        assert len({op.content() for op, _ in decided}) == 1, tries
        assert len({answer for _, answer in decided}) == 1, tries
        winner = decided[0][0].content()
        assert all(op.content() != winner for op, a in tries if REUSED in a[1]), tries


def _check_effects(
    answered: list[tuple[Op, Answer]], accounts: list[str], streams: dict[str, list[StoredEvent]]
) -> None:
    ok = {op.request: (op, answer) for op, answer in answered if answer[0] == "OK"}
    requested = {op.request for op, _ in answered}
    effects = [e for stream in streams.values() for e in stream[1:]]  # after each opening
    assert len({e.request_id for e in effects}) == len(effects), "a request applied twice"
    assert {e.request_id for e in effects} == set(ok), "effects and OK answers differ"
    assert {e.request_id for e in effects} <= requested
    codec = ProtobufEventCodec()
    for account_id, stream in streams.items():
        balance, is_open = OPENING_CENTS, True
        for event in stream[1:]:
            op, answer = ok[event.request_id]
            assert answer[1] == f"{account_id}@{event.version}"
            assert accounts[op.account] == account_id and is_open
            decoded = codec.decode(event.event_type, event.payload)
            amount = getattr(decoded, "amount_cents", 0)
            assert (op.kind, amount) == _kind_and_amount(event.event_type, op.cents)
            balance += amount if op.kind == "deposit" else -amount
            is_open = op.kind != "close"
            assert balance >= 0, f"{account_id} overdrawn at version {event.version}"


def _kind_and_amount(event_type: str, cents: int) -> tuple[str, int]:
    return {
        "FundsDeposited": ("deposit", cents),
        "FundsWithdrawn": ("withdraw", cents),
        "AccountClosed": ("close", 0),
    }[event_type]
