"""`python -m command_server`: serve AccountCommandService until SIGTERM."""

import asyncio

from adapters.grpc_server import serve
from adapters.settings import Settings, configure_logging
from command_server.bootstrap import build_command_side
from techbank.account.v1 import commands_pb2_grpc

SERVICE_NAME = "techbank.account.v1.AccountCommandService"


async def main() -> None:
    settings = Settings()
    configure_logging(settings)
    side = await build_command_side(settings)
    try:
        await serve(
            settings.command_address,
            lambda server: commands_pb2_grpc.add_AccountCommandServiceServicer_to_server(
                side.servicer, server
            ),
            [SERVICE_NAME],
        )
    finally:
        await side.close()


if __name__ == "__main__":
    asyncio.run(main())
