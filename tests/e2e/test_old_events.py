"""Events stored by the code of before version 2, run over by today's code on each stack.

The fixture's events go into the running system's event store as the old code left
them: unpublished, schema version 1. Every reader must then see them in today's shape.
"""

import asyncio
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from unittest import mock

from aiokafka import AIOKafkaConsumer

from adapters.factories import open_event_store
from adapters.kafka.bus import KafkaTopic, ProtobufEnvelopeCodec
from adapters.settings import Settings
from core.events import StoredEvent
from core.requests import Request
from harness.system import System
from techbank.account.v1 import commands_pb2, events_pb2
from tests.contract.event_store_contract import append
from tests.e2e.helpers import TIMEOUT, read
from tests.e2e.test_statement import lines, statement
from tests.unit.test_upcasting import old_events

ENVELOPES = ProtobufEnvelopeCodec(events_pb2.EventEnvelope)


@contextmanager
def settings_of(system: System) -> Iterator[Settings]:
    with mock.patch.dict(os.environ, system.env):
        yield Settings()


async def store_as_the_old_code_did(system: System, events: list[StoredEvent]) -> None:
    with settings_of(system) as settings:
        store = await open_event_store(settings.event_store_url)
    try:
        await append(store, events, 0, Request(f"v1-{uuid.uuid4()}", "old"))
    finally:
        await store.close()


def fixture_account() -> tuple[str, list[StoredEvent], int]:
    account_id = str(uuid.uuid4())
    events, fixture = old_events(account_id)
    events = [replace(e, event_id=str(uuid.uuid4())) for e in events]
    return account_id, events, fixture["balance_cents"]


def test_old_events_are_published_projected_and_taken_further(system: System) -> None:
    account_id, events, balance = fixture_account()
    asyncio.run(store_as_the_old_code_did(system, events))
    # The outbox finds them unpublished and publishes them; the projector folds them.
    assert read(system.queries, account_id, 4).balance_cents == balance
    deposited = system.commands.DepositFunds(
        commands_pb2.DepositFundsRequest(account_id=account_id, amount_cents=9, reference="new"),
        timeout=TIMEOUT,
    )
    assert deposited.version == 5
    assert read(system.queries, account_id, 5).balance_cents == balance + 9
    assert [
        (kind, reference) for _, kind, _, _, reference in lines(statement(system, account_id))
    ] == [
        ("OPENED", ""),
        ("DEPOSIT", ""),
        ("WITHDRAWAL", ""),
        ("DEPOSIT", ""),
        ("DEPOSIT", "new"),
    ]
    restored = system.run_tool("projector.restore")
    assert restored.returncode == 0, restored.stderr[-3000:]
    checked = system.run_tool("projector.check")
    assert checked.returncode == 0, checked.stdout[-3000:]
    assert read(system.queries, account_id, 5).balance_cents == balance + 9
    if system.name == "real":
        published = asyncio.run(envelopes_of(system, account_id, 5))
        assert [(e.version, e.schema_version) for e in published] == [
            (1, 1),
            (2, 2),
            (3, 2),
            (4, 2),
            (5, 2),
        ]


async def envelopes_of(system: System, account_id: str, count: int) -> list[StoredEvent]:
    """The account's first `count` events as Kafka holds them, once each."""
    where = KafkaTopic.from_url(system.env["TECHBANK_EVENT_BUS_URL"])
    consumer = AIOKafkaConsumer(
        where.topic, bootstrap_servers=where.bootstrap_servers, auto_offset_reset="earliest"
    )
    await consumer.start()
    found: dict[int, StoredEvent] = {}
    try:
        async with asyncio.timeout(TIMEOUT * 3):
            while len(found) < count:
                record = await consumer.getone()
                event = ENVELOPES.decode(record.value)
                if event.aggregate_id == account_id:
                    found.setdefault(event.version, event)
    finally:
        await consumer.stop()
    return [found[version] for version in sorted(found)]
