"""The command side's composition root: `bootstrap` wires a store and a bus into a
servicer (the tests and the embedded root hand it theirs), `build_command_side` opens
the ones the settings name.

Serving the command server's services: what `python -m command_server` and
`python -m embedded` both run, over the command side their root built.

AccountCommandService and TransferFunds change accounts (scope accounts:write);
GetTransfer and GetBalanceAsOf only read the event store (scope accounts:read).
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial
from importlib.resources import files

import grpc

from adapters.factories import open_event_bus, open_event_store, open_parked_events
from adapters.faults import fault_after_append
from adapters.grpc.auth import every_method
from adapters.grpc.limits import StreamGate
from adapters.grpc.server import serve
from adapters.grpc.services import add_service
from adapters.kafka.bus import ProtobufEnvelopeCodec
from adapters.settings import Settings
from adapters.telemetry.metrics import observe_outbox, observe_parking
from adapters.telemetry.tracing import current_headers
from bank.account import BankAccount
from bank.transfer import Transfer
from bank.wire import BankAccountSnapshots, ProtobufEventCodec, in_current_shapes
from command_server.account_changes import CommandOutcome
from command_server.feed import FEED_SERVICE, EventFeedServicer, feed_servicer
from command_server.handlers import (
    GetBalanceAsOf,
    account_as_of,
    register_handlers,
    register_transfer_handlers,
)
from command_server.servicer import AccountCommandServicer
from command_server.servicers import AccountHistoryServicer, TransferServicer
from command_server.transfer_recovery import start_transfer_recovery
from command_server.transfers import TRANSFERS, TransferProcess
from core.aggregate import Snapshotting
from core.dispatcher import Dispatcher
from core.event_store import EventBus, EventStore
from core.outbox import Outbox
from core.parking import ParkedEvents, ParkingConsumer
from core.repository import AppendHook, Repository
from techbank.account.v1 import commands_pb2, events_pb2, history_pb2, transfers_pb2

ENVELOPES = ProtobufEnvelopeCodec(events_pb2.EventEnvelope)
CODEC = ProtobufEventCodec()


@dataclass
class CommandSide:
    store: EventStore
    bus: EventBus
    outbox: Outbox
    servicer: AccountCommandServicer
    transfers: TransferProcess
    transfer_servicer: TransferServicer
    history_servicer: AccountHistoryServicer
    # What else to stop before the store closes (the embedded root's projection).
    closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    # The bus's consumers in this process, which park what they fail on for good.
    consumers: list[ParkingConsumer] = field(default_factory=list)
    feed: EventFeedServicer | None = None  # when the store keeps a feed (core.feed)

    async def start(self) -> None:
        """Start publishing: what the outbox holds, then each command's events."""
        await self.outbox.start()

    async def close(self) -> None:
        """Stop in dependency order: publish what is queued, then close the bus and stores."""
        await self.outbox.close()
        await self.bus.close()
        for close in self.closers:
            await close()
        await self.store.close()


def bootstrap(
    store: EventStore,
    bus: EventBus,
    after_append: AppendHook | None = None,
    snapshot_every: int = 0,
    parked: ParkedEvents | None = None,
) -> CommandSide:
    """The command side over `store` and `bus`, not yet publishing (see CommandSide.start).
    Whoever reads the bus feeds the transfer process the transfers left under way: the
    embedded root on the in-process bus, command_server.transfer_recovery on Kafka.
    What the bus refuses for good is parked in `parked`, when given."""
    store = in_current_shapes(store)
    outbox = Outbox(store, bus, headers_of=current_headers, parked=parked)  # the call's trace
    accounts = account_repository(store, outbox, after_append, snapshot_every)
    dispatcher = dispatcher_over(accounts)
    transfers = transfer_process(store, outbox, dispatcher, after_append, accounts)
    side = CommandSide(
        store,
        bus,
        outbox,
        AccountCommandServicer(dispatcher),
        transfers,
        TransferServicer(transfer_dispatcher(transfers)),
        AccountHistoryServicer(history_dispatcher(store)),
    )
    if outbox.parking is not None:
        side.consumers.append(outbox.parking)
    if followed := feed_servicer(store.inner):
        side.feed, head = followed
        side.closers.append(head.close)
    return side


def account_repository(
    store: EventStore,
    outbox: Outbox,
    after_append: AppendHook | None = None,
    snapshot_every: int = 0,
) -> Repository[BankAccount]:
    """Accounts in `store`, with a snapshot every `snapshot_every` events (0: snapshots
    are neither taken nor read)."""
    return Repository(
        store,
        outbox,
        CODEC,
        BankAccount,
        BankAccount.AGGREGATE_TYPE,
        after_append=after_append,
        snapshots=Snapshotting(BankAccountSnapshots(), snapshot_every) if snapshot_every else None,
    )


def command_dispatcher(
    store: EventStore,
    outbox: Outbox,
    after_append: AppendHook | None = None,
    snapshot_every: int = 0,
) -> Dispatcher[CommandOutcome]:
    """The mediator with every account command's handler, over `store`."""
    return dispatcher_over(account_repository(store, outbox, after_append, snapshot_every))


def dispatcher_over(accounts: Repository[BankAccount]) -> Dispatcher[CommandOutcome]:
    """The mediator with every account command's handler, over `accounts`."""
    dispatcher: Dispatcher[CommandOutcome] = Dispatcher()
    register_handlers(dispatcher, accounts)
    return dispatcher


def transfer_process(
    store: EventStore,
    outbox: Outbox,
    commands: Dispatcher[CommandOutcome],
    after_append: AppendHook | None = None,
    accounts: Repository[BankAccount] | None = None,
) -> TransferProcess:
    """The transfer process over `store`, taking its account steps through `commands`;
    it asks `accounts` (the commands' own, where given) whether a target is an account."""
    transfers = Repository(
        store, outbox, CODEC, Transfer, Transfer.AGGREGATE_TYPE, after_append=after_append
    )
    looked_up = accounts or account_repository(store, outbox)

    async def is_account(account_id: str) -> bool:
        return await looked_up.load(account_id) is not None

    return TransferProcess(transfers, commands.send, is_account)


def transfer_dispatcher(process: TransferProcess) -> Dispatcher[Transfer]:
    dispatcher: Dispatcher[Transfer] = Dispatcher()
    register_transfer_handlers(dispatcher, process)
    return dispatcher


def history_dispatcher(store: EventStore) -> Dispatcher[BankAccount]:
    dispatcher: Dispatcher[BankAccount] = Dispatcher()
    dispatcher.register(GetBalanceAsOf, partial(account_as_of, store=store, codec=CODEC))
    return dispatcher


async def build_command_side(settings: Settings) -> CommandSide:
    """The command side over the stores the settings name, publishing, and finishing the
    transfers the bus tells of (parking those it fails on for good)."""
    store = await open_event_store(settings.event_store_url)
    bus = await open_event_bus(settings.event_bus_url, ENVELOPES.encode)
    parked = await open_parked_events(settings.event_store_url)
    side = bootstrap(
        store,
        bus,
        fault_after_append(settings.faults.kill_after_append, settings.faults.kill_after_event),
        settings.snapshot_every,
        parked,
    )
    transfers = ParkingConsumer(TRANSFERS, side.transfers.resume, parked, side.store.load)
    side.consumers.append(transfers)
    await side.start()
    side.closers.extend([await start_transfer_recovery(settings, transfers), parked.close])
    return side


SERVICE = commands_pb2.DESCRIPTOR.services_by_name["AccountCommandService"]
SERVICE_NAME = SERVICE.full_name
TRANSFER_SERVICE = transfers_pb2.DESCRIPTOR.services_by_name["TransferService"]
HISTORY_SERVICE = history_pb2.DESCRIPTOR.services_by_name["AccountHistoryService"]
WRITE_SCOPE = "accounts:write"
READ_SCOPE = "accounts:read"
SCOPES = (
    every_method(SERVICE, WRITE_SCOPE)
    | every_method(TRANSFER_SERVICE, WRITE_SCOPE)
    | {f"/{TRANSFER_SERVICE.full_name}/GetTransfer": READ_SCOPE}
    | every_method(HISTORY_SERVICE, READ_SCOPE)
    | every_method(FEED_SERVICE, READ_SCOPE)
)

# What reflection describes, comments included (scripts/gen.sh).
DESCRIPTOR_SET = files("techbank") / "descriptors.binpb"


async def serve_commands(settings: Settings, side: CommandSide) -> None:
    """Serve until SIGTERM or SIGINT, then close `side` (also when serving cannot start)."""
    observe_outbox(side.outbox)
    for consumer in side.consumers:
        observe_parking(consumer)
    names = [SERVICE_NAME, TRANSFER_SERVICE.full_name, HISTORY_SERVICE.full_name]
    names += [FEED_SERVICE.full_name] if side.feed else []

    def register(server: grpc.aio.Server, streams: StreamGate) -> None:
        add_service(server, side.servicer, SERVICE, streams)
        add_service(server, side.transfer_servicer, TRANSFER_SERVICE, streams)
        add_service(server, side.history_servicer, HISTORY_SERVICE, streams)
        if side.feed:
            add_service(server, side.feed, FEED_SERVICE, streams)

    try:
        await serve(
            settings.command_address,
            register,
            names,
            SCOPES,
            address_setting="TECHBANK_COMMAND_ADDRESS",
            # Every service needs the event store only: the outbox retries the bus.
            probes={name: side.store.ping for name in names},
            descriptor_set=DESCRIPTOR_SET.read_bytes(),
        )
    finally:
        await side.close()
