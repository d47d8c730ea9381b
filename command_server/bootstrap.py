"""Wires the command side from configuration: the one place that builds its dependencies."""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from adapters.factories import open_event_bus, open_event_store
from adapters.inprocess_bus import InProcessEventBus
from adapters.protobuf_envelope import ProtobufEnvelopeCodec
from adapters.settings import Settings
from adapters.tracing import current_headers
from bank.domain.account import BankAccount
from command_server.event_codec import ProtobufEventCodec
from command_server.faults import fault_after_append
from command_server.handlers import register_handlers
from command_server.outcome import CommandOutcome
from command_server.servicer import AccountCommandServicer
from core.dispatcher import Dispatcher
from core.event_bus import EventBus
from core.event_store import EventStore
from core.outbox import Outbox
from core.repository import Repository
from projector.bootstrap import build_projection
from projector.projection import AccountProjection
from projector.transient import is_transient
from techbank.account.v1 import events_pb2

log = logging.getLogger(__name__)
CATCH_UP_RETRY_SECONDS = 1.0
ENVELOPES = ProtobufEnvelopeCodec(events_pb2.EventEnvelope)


@dataclass
class CommandSide:
    store: EventStore
    bus: EventBus
    outbox: Outbox
    servicer: AccountCommandServicer
    closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    async def close(self) -> None:
        """Stop in dependency order: publish what is queued, then close the bus and stores."""
        await self.outbox.close()
        await self.bus.close()
        for close in self.closers:
            await close()
        await self.store.close()


async def build_command_side(settings: Settings) -> CommandSide:
    store = await open_event_store(settings.event_store_url)
    bus = await open_event_bus(settings.event_bus_url, ENVELOPES.encode)
    outbox = Outbox(store, bus, headers_of=current_headers)  # the command's trace
    servicer = AccountCommandServicer(command_dispatcher(store, outbox))
    side = CommandSide(store, bus, outbox, servicer)
    if isinstance(bus, InProcessEventBus):
        side.closers.extend(await _embed_projector(settings, store, bus))
    await outbox.start()
    return side


def command_dispatcher(store: EventStore, outbox: Outbox) -> Dispatcher[CommandOutcome]:
    """The mediator with every account command's handler, over `store`."""
    accounts = Repository(
        store,
        outbox,
        ProtobufEventCodec(),
        BankAccount,
        BankAccount.AGGREGATE_TYPE,
        after_append=fault_after_append(),
    )
    dispatcher: Dispatcher[CommandOutcome] = Dispatcher()
    register_handlers(dispatcher, accounts)
    return dispatcher


async def _embed_projector(
    settings: Settings, store: EventStore, bus: InProcessEventBus
) -> list[Callable[[], Awaitable[None]]]:
    """On the in-process bus the projector lives here, the only process that sees the events.

    It catches up with the event store in the background (the read database may have
    been replaced, or be locked for now), and returns what stops it.
    """
    projector = await build_projection(settings.read_db_url, store)
    bus.subscribe(projector.projection.handle)
    catching_up = asyncio.create_task(_catch_up(projector.projection, store))

    async def stop_catching_up() -> None:
        catching_up.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await catching_up

    return [stop_catching_up, projector.read_model.close]


async def _catch_up(projection: AccountProjection, store: EventStore) -> None:
    while True:
        try:
            caught_up = await projection.catch_up(store.aggregate_ids())
        except Exception as exc:
            if not is_transient(exc):
                log.exception("catching up the read model failed; the next start tries again")
                return
            log.warning("catching up the read model failed (%r); retrying", exc)
            await asyncio.sleep(CATCH_UP_RETRY_SECONDS)
            continue
        log.info("read model caught up with the event store: %d events applied", caught_up)
        return
