"""`python -m embedded`: the embedded default's command server, the projector inside it,
until SIGTERM. The query server runs beside it (`python -m query_server`)."""

import asyncio
import sys

from adapters.settings import Settings, configure_telemetry
from command_server.service import serve_commands
from embedded.bootstrap import build_embedded


async def main(settings: Settings) -> None:
    await serve_commands(settings, await build_embedded(settings))


if __name__ == "__main__":
    settings = Settings()
    if not settings.on_in_process_bus():
        sys.exit("the embedded process runs on the in-process bus: unset TECHBANK_EVENT_BUS_URL")
    configure_telemetry(settings, "techbank-command-server", settings.command_metrics_address)
    asyncio.run(main(settings))
