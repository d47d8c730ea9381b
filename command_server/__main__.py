"""`python -m command_server`: serve AccountCommandService until SIGTERM."""

import asyncio
import logging

from adapters.grpc_server import serve
from adapters.settings import Settings
from command_server.bootstrap import build_command_side
from techbank.account.v1 import commands_pb2_grpc

SERVICE_NAME = "techbank.account.v1.AccountCommandService"


async def main() -> None:
    settings = Settings()
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(name)s %(levelname)s %(message)s"
    )
    side = await build_command_side(settings)
    await serve(
        settings.command_address,
        lambda server: commands_pb2_grpc.add_AccountCommandServiceServicer_to_server(
            side.servicer, server
        ),
        [SERVICE_NAME],
        on_stop=side.close,
    )


if __name__ == "__main__":
    asyncio.run(main())
