"""`python -m command_server`: serve AccountCommandService until SIGTERM.

It publishes to Kafka; on the in-process bus (the embedded default) the events' only
reader is a projector in the same process: `python -m embedded` runs that.
"""

import asyncio

from adapters.command_line import run_server
from adapters.settings import ConfigurationError, Settings, configure_telemetry
from command_server.bootstrap import build_command_side, serve_commands

ON_THE_INPROCESS_BUS = (
    "TECHBANK_EVENT_BUS_URL: on the in-process bus the command server runs with the "
    "projector inside it: run `python -m embedded` (or set it to a kafka:// URL)"
)


async def main(settings: Settings) -> None:
    await serve_commands(settings, await build_command_side(settings))


def start() -> None:
    settings = Settings()
    if settings.on_in_process_bus():
        raise ConfigurationError(ON_THE_INPROCESS_BUS)
    configure_telemetry(
        settings,
        "techbank-command-server",
        settings.command_metrics_address,
        "TECHBANK_COMMAND_METRICS_ADDRESS",
    )
    asyncio.run(main(settings))


if __name__ == "__main__":
    run_server("command_server", __doc__, start)
