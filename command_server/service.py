"""Serving the command server's services: what `python -m command_server` and
`python -m embedded` both run, over the command side their root built.

AccountCommandService and TransferFunds change accounts (scope accounts:write);
GetTransfer and GetBalanceAsOf only read the event store (scope accounts:read).
"""

from importlib.resources import files

import grpc

from adapters.grpc.auth import every_method
from adapters.grpc.limits import StreamGate
from adapters.grpc.server import serve
from adapters.grpc.services import add_service
from adapters.settings import Settings
from adapters.telemetry.metrics import observe_outbox, observe_parking
from command_server.bootstrap import CommandSide
from techbank.account.v1 import commands_pb2, history_pb2, transfers_pb2

SERVICE = commands_pb2.DESCRIPTOR.services_by_name["AccountCommandService"]
SERVICE_NAME = SERVICE.full_name
TRANSFERS = transfers_pb2.DESCRIPTOR.services_by_name["TransferService"]
HISTORY = history_pb2.DESCRIPTOR.services_by_name["AccountHistoryService"]
WRITE_SCOPE = "accounts:write"
READ_SCOPE = "accounts:read"
SCOPES = (
    every_method(SERVICE, WRITE_SCOPE)
    | every_method(TRANSFERS, WRITE_SCOPE)
    | {f"/{TRANSFERS.full_name}/GetTransfer": READ_SCOPE}
    | every_method(HISTORY, READ_SCOPE)
)

# What reflection describes, comments included (scripts/gen.sh).
DESCRIPTOR_SET = files("techbank") / "descriptors.binpb"


async def serve_commands(settings: Settings, side: CommandSide) -> None:
    """Serve until SIGTERM or SIGINT, then close `side` (also when serving cannot start)."""
    observe_outbox(side.outbox)
    for consumer in side.consumers:
        observe_parking(consumer)
    names = [SERVICE_NAME, TRANSFERS.full_name, HISTORY.full_name]

    def register(server: grpc.aio.Server, streams: StreamGate) -> None:
        add_service(server, side.servicer, SERVICE, streams)
        add_service(server, side.transfer_servicer, TRANSFERS, streams)
        add_service(server, side.history_servicer, HISTORY, streams)

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
