"""Events stored in an older shape are read in the current one, by every reader of the
store; the fixture holds events serialized by the code of before version 2."""

import base64
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

from bank.account import BankAccount
from bank.events import AccountOpened, AccountType, FundsDeposited, FundsWithdrawn
from bank.wire import UPCASTER, ProtobufEventCodec, in_current_shapes
from command_server.bootstrap import account_repository
from core.events import StoredEvent
from core.outbox import Outbox
from core.requests import Request
from core.upcasting import Upcaster, UpcastingEventStore
from tests.contract.event_store_contract import append
from tests.fakes import InMemoryEventStore, RecordingEventBus

FIXTURE = Path(__file__).parent.parent / "fixtures" / "events_v1.json"


def old_events(account_id: str = "a1") -> tuple[list[StoredEvent], dict[str, Any]]:
    """The fixture's events, as stored for an account of this id."""
    fixture = json.loads(FIXTURE.read_text())
    events = [
        StoredEvent(
            event_id=f"{account_id}-{raw['version']}",
            aggregate_id=account_id,
            aggregate_type=fixture["aggregate_type"],
            version=raw["version"],
            event_type=raw["event_type"],
            occurred_at=datetime.fromisoformat(raw["occurred_at"]),
            request_id=raw["request_id"],
            payload=base64.b64decode(raw["payload_base64"]),
            schema_version=raw["schema_version"],
        )
        for raw in fixture["events"]
    ]
    return events, fixture


def event(event_type: str, payload: bytes, schema_version: int) -> StoredEvent:
    return StoredEvent(
        "e", "a", "T", 1, event_type, datetime.now(UTC), "r", payload, schema_version
    )


CHAIN = Upcaster({("Renamed", 1): lambda p: p + b"+2", ("Renamed", 2): lambda p: p + b"+3"})


def test_an_event_is_raised_through_every_step_to_the_current_version() -> None:
    raised = CHAIN(event("Renamed", b"v1", 1))
    assert (raised.payload, raised.schema_version) == (b"v1+2+3", 3)
    assert CHAIN(event("Renamed", b"v2", 2)).payload == b"v2+3"
    assert CHAIN.current("Renamed") == 3 and CHAIN.current("Other") == 1


def test_current_and_newer_events_pass_through_untouched() -> None:
    current, newer = event("Renamed", b"x", 3), event("Renamed", b"y", 4)
    assert CHAIN(current) is current and CHAIN(newer) is newer


async def test_every_read_of_the_store_answers_the_current_shape() -> None:
    inner = InMemoryEventStore()
    store = UpcastingEventStore(inner, CHAIN)
    stored = event("Renamed", b"v1", 1)
    await append(store, [stored], 0, Request("r", "f"))
    assert inner.streams["a"] == [stored]  # stored as it came: never rewritten
    [loaded] = await store.load("a")
    [[many]] = (await store.load_many(["a"])).values()
    [unpublished] = await store.unpublished(datetime.now(UTC) + timedelta(seconds=1), 10)
    assert {e.schema_version for e in (loaded, many, unpublished)} == {3}


def test_the_bank_writes_deposits_and_withdrawals_at_version_2() -> None:
    codec = ProtobufEventCodec()
    assert [codec.schema_version(t) for t in ("FundsDeposited", "FundsWithdrawn")] == [2, 2]
    assert [codec.schema_version(t) for t in ("AccountOpened", "TransferRequested")] == [1, 1]


def test_the_old_fixture_reads_as_version_2_events_with_empty_new_fields() -> None:
    events, _ = old_events()
    codec = ProtobufEventCodec()
    current = [UPCASTER(e) for e in events]
    assert [e.schema_version for e in current] == [1, 2, 2, 2]
    assert [codec.decode(e.event_type, e.payload) for e in current] == [
        AccountOpened("Ada Lovelace", AccountType.SAVINGS, 10_000),
        FundsDeposited(2_500, "", ""),
        FundsWithdrawn(700, "", ""),
        FundsDeposited(1, "", ""),
    ]


async def test_an_account_of_old_events_loads_and_takes_new_ones() -> None:
    inner = InMemoryEventStore()
    events, fixture = old_events()
    await append(inner, events, 0, Request("old", "f"))
    store = in_current_shapes(inner)
    accounts = account_repository(store, Outbox(store, RecordingEventBus()))
    account = await accounts.load("a1")
    assert isinstance(account, BankAccount)
    assert account.balance_cents == fixture["balance_cents"]
    account.deposit(5, reference="after the upgrade")
    await accounts.save(account, Request("new", "f"))
    assert [e.schema_version for e in inner.streams["a1"]] == [1, 1, 1, 1, 2]


def test_the_store_is_wrapped_once() -> None:
    store = in_current_shapes(InMemoryEventStore())
    assert in_current_shapes(store) is store


def version_1_message(name: str) -> Any:
    """The message as version 1 declared it (amount_cents alone), built at run time: what
    a process not yet upgraded parses with."""
    file = descriptor_pb2.FileDescriptorProto(name=f"v1_{name}.proto", package="v1")
    message = file.message_type.add(name=name)
    message.field.add(
        name="amount_cents",
        number=1,
        type=descriptor_pb2.FieldDescriptorProto.TYPE_INT64,
        label=descriptor_pb2.FieldDescriptorProto.LABEL_OPTIONAL,
    )
    pool = descriptor_pool.DescriptorPool()
    pool.Add(file)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName(f"v1.{name}"))


@pytest.mark.parametrize(
    ("event_type", "new_event"),
    [
        ("FundsDeposited", FundsDeposited(42, "note", "t-1")),
        ("FundsWithdrawn", FundsWithdrawn(42, "note", "t-1")),
    ],
)
def test_a_version_2_event_is_readable_by_version_1_code(
    event_type: str, new_event: FundsDeposited | FundsWithdrawn
) -> None:
    """The other way round (docs/evolution.md): during a rolling upgrade a process not yet
    upgraded reads the new event's amount and skips the fields it does not know."""
    _, payload = ProtobufEventCodec().encode(new_event)
    old = version_1_message(event_type).FromString(payload)
    assert old.amount_cents == 42


def test_the_fixture_parses_with_version_1_code_as_it_was_written() -> None:
    events, _ = old_events()
    deposit = version_1_message("FundsDeposited").FromString(events[1].payload)
    assert deposit.amount_cents == 2_500
