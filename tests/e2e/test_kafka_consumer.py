"""The Kafka consumer contract (docs/consumers.md) as a service in another language meets
it: clients/node/consumer.mjs (kafkajs) reads the real stack's topic as a group of its
own, from the beginning, and prints each distinct event once. It must print exactly the
events stored for two accounts and a transfer between them, each aggregate's records
keyed by its id, from one partition, in version order, with their types and amounts,
although two of them were published twice in between (as the outbox's sweep may)."""

import asyncio
import json
import re
import shutil
import subprocess
import uuid
from collections.abc import Sequence
from typing import Any

import pytest

from adapters.factories import open_event_store
from adapters.kafka.bus import KafkaEventBus, KafkaTopic, ProtobufEnvelopeCodec
from bank.wire import in_current_shapes
from core.events import StoredEvent
from harness.processes import REPO
from harness.system import System
from techbank.account.v1 import commands_pb2, events_pb2
from tests.e2e.helpers import CURRENT, TIMEOUT, open_account, read
from tests.e2e.test_transfers import transfer

CONSUMER = REPO / "clients" / "node" / "consumer.mjs"
WAIT_SECONDS = 60
Printed = dict[str, Any]


def consumer_command() -> list[str]:
    node = shutil.which("node")
    assert node is not None, "node is not on the PATH"
    modules = CONSUMER.parent / "node_modules" / "kafkajs"
    assert modules.exists(), f"{modules} is missing: `make tools` installs it"
    return [node, str(CONSUMER)]


def stored_events(system: System, aggregate_ids: Sequence[str]) -> list[StoredEvent]:
    """The aggregates' events as the event store holds them, read as the outbox reads."""

    async def load() -> list[StoredEvent]:
        store = in_current_shapes(await open_event_store(system.env["TECHBANK_EVENT_STORE_URL"]))
        try:
            return [event for a in aggregate_ids for event in await store.load(a)]
        finally:
            await store.close()

    return asyncio.run(load())


def publish_again(system: System, events: Sequence[StoredEvent]) -> None:
    """Send events to the topic once more, as the outbox's sweep does after a failure."""

    async def publish() -> None:
        where = KafkaTopic.from_url(system.env["TECHBANK_EVENT_BUS_URL"])
        bus = await KafkaEventBus.connect(
            where, ProtobufEnvelopeCodec(events_pb2.EventEnvelope).encode
        )
        try:
            await bus.publish(events)
        finally:
            await bus.close()

    asyncio.run(publish())


def consumed(system: System, aggregate_ids: Sequence[str], count: int) -> tuple[list[Printed], str]:
    """What the Node consumer printed, in order, for these aggregates, and its stderr."""
    where = KafkaTopic.from_url(system.env["TECHBANK_EVENT_BUS_URL"])
    group = f"{where.topic}-node-{uuid.uuid4().hex[:8]}"
    arguments = [where.bootstrap_servers, where.topic, group, str(count), str(WAIT_SECONDS)]
    done = subprocess.run(
        [*consumer_command(), *arguments, *aggregate_ids],
        capture_output=True,
        text=True,
        timeout=WAIT_SECONDS + 30,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()], done.stderr


def deposit(system: System, account_id: str, cents: int, reference: str = "") -> None:
    system.commands.DepositFunds(
        commands_pb2.DepositFundsRequest(
            account_id=account_id,
            amount_cents=cents,
            reference=reference,
            request_id=str(uuid.uuid4()),
        ),
        timeout=TIMEOUT,
    )


def change_accounts(system: System, first: str, second: str) -> str:
    """Withdraw, transfer, deposit and close; the transfer's id."""
    system.commands.WithdrawFunds(
        commands_pb2.WithdrawFundsRequest(
            account_id=first, amount_cents=700, request_id=str(uuid.uuid4())
        ),
        timeout=TIMEOUT,
    )
    transfer_id = transfer(system, first, second, 300).transfer_id
    deposit(system, second, 45)
    system.commands.CloseAccount(
        commands_pb2.CloseAccountRequest(account_id=second, request_id=str(uuid.uuid4())),
        timeout=TIMEOUT,
    )
    return transfer_id


def movement(cents: int, reference: str = "", transfer_id: str = "") -> dict[str, str]:
    return {"amount_cents": str(cents), "reference": reference, "transfer_id": transfer_id}


def opened(holder: str, account_type: str, cents: int) -> dict[str, str]:
    return {"holder": holder, "account_type": account_type, "opening_balance_cents": str(cents)}


def expected_payloads(first: str, second: str, transfer_id: str) -> dict[str, list[Any]]:
    """Each aggregate's events as (type, payload fields), as the commands made them."""
    requested = {"source_account_id": first, "target_account_id": second}
    return {
        first: [
            ("AccountOpened", opened("Kafka Reader", "ACCOUNT_TYPE_CURRENT", 500)),
            ("FundsDeposited", movement(1200, "rent")),
            ("FundsWithdrawn", movement(700)),
            ("FundsWithdrawn", movement(300, "invoice 42", transfer_id)),
        ],
        second: [
            ("AccountOpened", opened("Kafka Writer", "ACCOUNT_TYPE_SAVINGS", 0)),
            ("FundsDeposited", movement(300, "invoice 42", transfer_id)),
            ("FundsDeposited", movement(45)),
            ("AccountClosed", {}),
        ],
        transfer_id: [
            ("TransferRequested", {**requested, "amount_cents": "300", "reference": "invoice 42"}),
            ("TransferDebited", {}),
            ("TransferCompleted", {}),
        ],
    }


def as_printed(event: StoredEvent) -> tuple[Any, ...]:
    occurred = event.occurred_at.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return (event.event_id, str(event.version), event.event_type, event.schema_version, occurred)


def test_a_node_consumer_reads_each_event_once_in_its_aggregates_order(system: System) -> None:
    if system.name != "real":
        pytest.skip("only the real stack publishes to Kafka")
    first = open_account(system.commands, "Kafka Reader", 500, CURRENT).account_id
    second = open_account(system.commands, "Kafka Writer").account_id
    deposit(system, first, 1200, "rent")
    assert (
        read(system.queries, first, 2).balance_cents == 1700
    )  # projected: both events are on the topic
    publish_again(system, stored_events(system, [first]))
    transfer_id = change_accounts(system, first, second)
    ids = [first, second, transfer_id]
    stored = stored_events(system, ids)

    printed, stderr = consumed(system, ids, len(stored))

    skipped = re.search(r"(\d+) duplicate record\(s\) skipped", stderr)
    assert skipped is not None and int(skipped[1]) >= 2, stderr  # ours; the outbox may add some
    for aggregate_id, payloads in expected_payloads(first, second, transfer_id).items():
        ours = [line for line in printed if line["aggregateId"] == aggregate_id]
        shown = [
            (e["eventId"], e["version"], e["eventType"], e["schemaVersion"], e["occurredAt"])
            for e in ours
        ]
        assert shown == [as_printed(e) for e in stored if e.aggregate_id == aggregate_id]
        assert [(e["eventType"], e["payload"]) for e in ours] == payloads
        assert {(e["key"], e["headers"]["event_type"] == e["eventType"]) for e in ours} == {
            (aggregate_id, True)
        }
        assert len({e["partition"] for e in ours}) == 1, ours
    assert len(printed) == len(stored) == 11
