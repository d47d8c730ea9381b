"""`python -m query_server`: serve account queries until SIGTERM or SIGINT.

It only reads the read database (TECHBANK_QUERY_DB_URL), which the projector creates:
started first, it answers health NOT_SERVING until the tables exist, and stops if they
do not within TECHBANK_QUERY_SCHEMA_WAIT_SECONDS (docs/configuration.md).
"""

import asyncio
from functools import partial
from importlib.resources import files

from adapters.command_line import run_server
from adapters.grpc.auth import every_method
from adapters.grpc.server import serve
from adapters.settings import Settings, configure_telemetry
from query_server.bootstrap import (
    SERVICE,
    SERVICE_NAME,
    build_query_side,
    until_the_read_model_exists,
)

READ_SCOPE = "accounts:read"

# What reflection describes, comments included (scripts/gen.sh).
DESCRIPTOR_SET = files("techbank") / "descriptors.binpb"


async def main(settings: Settings) -> None:
    service = await build_query_side(settings)
    try:
        await serve(
            settings.query_address,
            service.register,
            [SERVICE_NAME],
            every_method(SERVICE, READ_SCOPE),
            address_setting="TECHBANK_QUERY_ADDRESS",
            probes={SERVICE_NAME: service.reader.ping},
            ready=partial(
                until_the_read_model_exists,
                service.reader,
                settings.query_db_url,
                settings.query_schema_wait_seconds,
            ),
            descriptor_set=DESCRIPTOR_SET.read_bytes(),
        )
    finally:
        # Also when serving fails to start, e.g. the address is taken.
        await service.close()


def start() -> None:
    settings = Settings()
    configure_telemetry(
        settings,
        "techbank-query-server",
        settings.query_metrics_address,
        "TECHBANK_QUERY_METRICS_ADDRESS",
    )
    asyncio.run(main(settings))


if __name__ == "__main__":
    run_server("query_server", __doc__, start)
