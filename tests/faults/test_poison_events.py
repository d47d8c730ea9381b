"""One bad event stops nothing else, on both stacks: it is parked, everything behind it
flows on, and it is applied once an operator has mended it and asked for a retry.

The bad events are written into the event store by the test, as a damaged or newer
writer would leave them; the command server's outbox finds them there and publishes
them like any other."""

import asyncio
import sqlite3
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from bson import Binary
from pymongo import AsyncMongoClient

from adapters.factories import open_event_store, open_parked_events
from core.events import StoredEvent
from core.parking import ParkedEvent
from core.requests import Request
from harness.system import System, running_system
from techbank.account.v1 import events_pb2
from tests.contract.event_store_contract import append
from tests.e2e.helpers import open_account, read, scrape
from tests.faults.helpers import deposit
from tests.faults.test_transfers import ask_and_see_it_die, ask_transfer, doomed_server

GARBAGE = b"\xff\xfe not a protobuf message"
PARKING_SECONDS = 30.0


@pytest.fixture(params=["embedded", "real"])
def system(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[System]:
    with running_system(request.param, tmp_path) as running:
        yield running


def event_store_url(system: System) -> str:
    default = f"sqlite+aiosqlite:///{system.env['TECHBANK_DATA_DIR']}/events.db"
    return system.env.get("TECHBANK_EVENT_STORE_URL", default)


def stored_event(
    aggregate_id: str, aggregate_type: str, version: int, kind: str, payload: bytes
) -> StoredEvent:
    return StoredEvent(
        str(uuid.uuid4()),
        aggregate_id,
        aggregate_type,
        version,
        kind,
        datetime.now(UTC).replace(microsecond=0),
        f"test-{uuid.uuid4()}",
        payload,
    )


def write_into_the_store(system: System, events: list[StoredEvent], after: int) -> None:
    async def write() -> None:
        store = await open_event_store(event_store_url(system))
        try:
            await append(store, events, after, Request(str(uuid.uuid4()), "poison", "test"))
        finally:
            await store.close()

    asyncio.run(write())


def parked_by(system: System, consumer: str | None, count: int) -> list[ParkedEvent]:
    """The events `consumer` (None: any) parked, once exactly `count` of them are parked:
    a retry projects first and unparks after, so the read model can show the mended
    account a moment before the parked list is empty."""

    async def listed() -> list[ParkedEvent]:
        parked = await open_parked_events(event_store_url(system))
        try:
            return await parked.parked(consumer)
        finally:
            await parked.close()

    deadline = time.monotonic() + PARKING_SECONDS
    while len(found := asyncio.run(listed())) != count:
        assert time.monotonic() < deadline, f"{consumer} parked {found}"
        time.sleep(0.5)
    return found


def mend(system: System, event: StoredEvent, payload: bytes) -> None:
    """What an operator restoring the event from a backup does, behind Techbank's back."""
    url = event_store_url(system)

    async def mend_in_mongo() -> None:
        client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(url)
        events = client.get_default_database()["events"]
        await events.update_one(
            {"event_id": event.event_id}, {"$set": {"payload": Binary(payload)}}
        )
        await client.close()

    if url.startswith("mongodb"):
        asyncio.run(mend_in_mongo())
        return
    with sqlite3.connect(url.split("///", 1)[1]) as db:
        db.execute("UPDATE events SET payload = ? WHERE event_id = ?", (payload, event.event_id))


def projector_metrics(system: System) -> str:
    name = (
        "TECHBANK_COMMAND_METRICS_ADDRESS"
        if system.name == "embedded"
        else "TECHBANK_PROJECTOR_METRICS_ADDRESS"
    )
    return system.env[name]


def test_a_poison_event_is_parked_and_every_other_account_flows_on(system: System) -> None:
    """Events a killed command server left unpublished, one of them damaged: the others
    reach the read model all the same, and so do the commands after them."""
    opened = sorted(open_account(system.commands, cents=1_000).account_id for _ in range(19))
    poisoned, accounts = opened[0], opened[1:]  # first in the outbox, which is in id order
    assert [read(system.queries, a, 1).version for a in opened] == [1] * 19
    commands = system.process("command_server")
    assert commands.stop() == 0
    damaged = stored_event(poisoned, "BankAccount", 2, "FundsDeposited", GARBAGE)
    later = stored_event(poisoned, "BankAccount", 3, "FundsDeposited", deposited(5))
    write_into_the_store(system, [damaged, later], after=1)
    for account_id in accounts:  # what the killed server had stored, not yet published
        left = stored_event(account_id, "BankAccount", 2, "FundsDeposited", deposited(10))
        write_into_the_store(system, [left], after=1)
    commands.start()
    assert [read(system.queries, a, 2).balance_cents for a in accounts] == [1_010] * 18

    acknowledged = {a: 2 for a in accounts}
    for n in range(200):
        account_id = accounts[n % len(accounts)]
        acknowledged[account_id] = deposit(system, account_id)
    reached = [read(system.queries, a, v).version >= v for a, v in acknowledged.items()]
    assert reached == [True] * len(accounts)

    # The bad event is parked with its error, the later one of its account behind it: by
    # the projection on the embedded stack; on Kafka the outbox cannot even build the bad
    # one's envelope, and parks the account's events from it on.
    parked = parked_by(system, None, 2)
    assert sorted((p.aggregate_id, p.version) for p in parked) == [(poisoned, 2), (poisoned, 3)]
    assert all("DecodeError" in p.error for p in parked)
    by = {"embedded": ["projection", "projection"], "real": ["outbox", "outbox"]}
    assert sorted(p.consumer for p in parked) == by[system.name]
    assert read(system.queries, poisoned, 1).version == 1
    assert sum(parked_gauges(system).values()) == 2, parked_gauges(system)

    mend(system, damaged, deposited(7))
    retried = system.run_tool("admin", "parked", "retry")
    assert retried.returncode == 0, retried.stderr
    mended = read(system.queries, poisoned, 3)
    assert (mended.version, mended.balance_cents) == (3, 1_012)
    assert parked_by(system, None, 0) == []


def parked_gauges(system: System) -> dict[tuple[str, str], float]:
    """techbank_parked_events of every process that serves metrics, by process and consumer."""
    gauges = {}
    for setting in ("COMMAND", "PROJECTOR"):
        if system.name == "embedded" and setting == "PROJECTOR":
            continue
        samples = scrape(system.env[f"TECHBANK_{setting}_METRICS_ADDRESS"])
        for (name, labels), found in samples.items():
            if name == "techbank_parked_events":
                gauges[setting, dict(labels)["consumer"]] = found
    return gauges


def deposited(cents: int) -> bytes:
    return events_pb2.FundsDeposited(amount_cents=cents).SerializeToString()


def test_a_transfer_the_process_fails_on_for_good_is_parked_and_later_ones_finish(
    system: System,
) -> None:
    """A transfer stream no process could have written (debited, never requested: there
    is no account to refund) is parked by whoever reads the bus for transfers, and taken
    out of the outbox. On Kafka, a transfer whose server dies right after asking for it
    is then finished by the transfers group behind it (one partition: it would wait
    behind the bad one)."""
    bad = stored_event(str(uuid.uuid4()), "Transfer", 1, "TransferDebited", b"")
    write_into_the_store(system, [bad], after=0)
    [parked] = parked_by(system, "transfers", 1)
    assert (parked.event_id, parked.error.split(":")[0]) == (bad.event_id, "RefundNotTaken")
    assert unpublished(system) == []

    source = open_account(system.commands, cents=1_000).account_id
    target = open_account(system.commands).account_id
    if system.name == "real":
        # Beside the system's server, which reads the bus all along; the doomed one in
        # a transfers group of its own, lest it take the partition over.
        own_group = f"doomed-{bad.aggregate_id}"
        doomed = doomed_server(system, "TransferRequested", TECHBANK_TRANSFERS_GROUP=own_group)
        try:
            ask_and_see_it_die(doomed, source, target)
        finally:
            doomed.kill()
    else:
        ask_transfer(system.transfers, source, target, 300)
    assert read(system.queries, target, 2).balance_cents == 300
    assert read(system.queries, source, 2).balance_cents == 700
    assert [p.event_id for p in parked_by(system, None, 1)] == [bad.event_id]


def unpublished(system: System, seconds: float = 10.0) -> list[StoredEvent]:
    """What the outbox holds, however new, once it holds nothing or `seconds` have
    passed: its sweep runs every second, taking events older than 3 s."""

    async def outbox() -> list[StoredEvent]:
        store = await open_event_store(event_store_url(system))
        try:
            return await store.unpublished(datetime.now(UTC) + timedelta(seconds=1), 100)
        finally:
            await store.close()

    deadline = time.monotonic() + seconds
    while (held := asyncio.run(outbox())) and time.monotonic() < deadline:
        time.sleep(0.2)
    return held
