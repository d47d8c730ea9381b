"""Serving AccountCommandService: what `python -m command_server` and `python -m embedded`
both run, over the command side their root built."""

from importlib.resources import files

from adapters.grpc_auth import every_method
from adapters.grpc_server import serve
from adapters.grpc_services import add_service
from adapters.metrics import observe_outbox
from adapters.settings import Settings
from command_server.bootstrap import CommandSide
from techbank.account.v1 import commands_pb2

SERVICE = commands_pb2.DESCRIPTOR.services_by_name["AccountCommandService"]
SERVICE_NAME = SERVICE.full_name
WRITE_SCOPE = "accounts:write"

# What reflection describes, comments included (scripts/gen.sh).
DESCRIPTOR_SET = files("techbank") / "descriptors.binpb"


async def serve_commands(settings: Settings, side: CommandSide) -> None:
    """Serve until SIGTERM or SIGINT, then close `side` (also when serving cannot start)."""
    observe_outbox(side.outbox)
    try:
        await serve(
            settings.command_address,
            lambda server, streams: add_service(server, side.servicer, SERVICE, streams),
            [SERVICE_NAME],
            every_method(SERVICE, WRITE_SCOPE),
            # Commands need the event store only: the outbox retries the bus.
            probes={SERVICE_NAME: side.store.ping},
            descriptor_set=DESCRIPTOR_SET.read_bytes(),
        )
    finally:
        await side.close()
