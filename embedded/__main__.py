"""`python -m embedded`: the embedded default's command server, the projector inside it,
until SIGTERM. The query server runs beside it (`python -m query_server`)."""

import asyncio

from adapters.command_line import run_server
from adapters.settings import ConfigurationError, Settings, configure_telemetry
from command_server.bootstrap import serve_commands
from embedded.bootstrap import build_embedded


async def main(settings: Settings) -> None:
    await serve_commands(settings, await build_embedded(settings))


def start() -> None:
    settings = Settings()
    if not settings.on_in_process_bus():
        raise ConfigurationError(
            "TECHBANK_EVENT_BUS_URL: the embedded process runs on the in-process bus: unset it"
        )
    configure_telemetry(
        settings,
        "techbank-command-server",
        settings.command_metrics_address,
        "TECHBANK_COMMAND_METRICS_ADDRESS",
    )
    asyncio.run(main(settings))


if __name__ == "__main__":
    run_server("embedded", __doc__, start)
