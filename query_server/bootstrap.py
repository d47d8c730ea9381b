"""The query side's composition root: `bootstrap` wires a reader into a service (the
tests hand it fakes), `build_query_side` opens the reader the settings name.

The query server only reads: it never creates the read database or its tables. Started
beside the projector that creates them, it waits for them (`until_the_read_model_exists`)
for up to TECHBANK_QUERY_SCHEMA_WAIT_SECONDS, NOT_SERVING meanwhile, then stops saying
that TECHBANK_QUERY_DB_URL names a database no projector writes.
"""

import asyncio
import logging
import time
from dataclasses import dataclass

import grpc

from adapters.factories import open_account_reader
from adapters.grpc.limits import ClientQuota, StreamGate
from adapters.grpc.services import add_service
from adapters.settings import ConfigurationError, Settings, redacted
from adapters.sql.errors import check_can_exist, misconfiguration
from bank.account_reader import AccountReader, NoReadModel
from core.dispatcher import Dispatcher
from core.errors import Unavailable
from query_server.handlers import register_handlers
from query_server.servicer import AccountQueryServicer
from techbank.account.v1 import queries_pb2

log = logging.getLogger(__name__)
RETRY_SECONDS = 0.2
QUERY_DB_URL = "TECHBANK_QUERY_DB_URL"
SERVICE = queries_pb2.DESCRIPTOR.services_by_name["AccountQueryService"]
SERVICE_NAME = SERVICE.full_name


@dataclass(frozen=True)
class QueryService:
    servicer: AccountQueryServicer
    reader: AccountReader

    def register(self, server: grpc.aio.Server, streams: StreamGate) -> None:
        add_service(server, self.servicer, SERVICE, streams)

    async def close(self) -> None:
        await self.reader.close()


async def open_when_available(url: str) -> AccountReader:
    """The reader, once the read database lets it in: a database down or locked is waited
    for (SIGTERM still ends the wait at once); a URL that cannot name one raises
    ConfigurationError (adapters.sql.errors)."""
    check_can_exist(QUERY_DB_URL, url)
    said = False
    while True:
        try:
            return await open_account_reader(url)
        except Unavailable as error:
            wrong = misconfiguration(QUERY_DB_URL, url, error)
            if wrong is not None:
                raise wrong from None
            if not said:
                log.warning("the read database is unavailable; trying again until it is not")
                said = True
            await asyncio.sleep(RETRY_SECONDS)


async def until_the_read_model_exists(reader: AccountReader, url: str, seconds: float) -> None:
    """Return once `reader` reads the read model's tables; while they do not exist, look
    again until `seconds` (TECHBANK_QUERY_SCHEMA_WAIT_SECONDS) have passed since the call,
    then raise ConfigurationError naming `url`'s setting. A database unreachable meanwhile
    is waited for: an outage, not a wrong URL (health says NOT_SERVING either way)."""
    deadline = time.monotonic() + seconds
    said = False
    while True:
        try:
            await reader.ping()
            return
        except NoReadModel:
            if time.monotonic() >= deadline:
                raise ConfigurationError(
                    f"{QUERY_DB_URL}={redacted(url)}: no Techbank read model there after "
                    f"{seconds:g} s (TECHBANK_QUERY_SCHEMA_WAIT_SECONDS): no projector "
                    "writes this database"
                ) from None
            if not said:
                log.info("waiting up to %g s for the projector to create the tables", seconds)
                said = True
        except Unavailable:
            pass
        await asyncio.sleep(RETRY_SECONDS)


def query_dispatcher(reader: AccountReader) -> Dispatcher[object]:
    """The mediator with every account query's handler, over `reader`."""
    dispatcher: Dispatcher[object] = Dispatcher()
    register_handlers(dispatcher, reader)
    return dispatcher


def bootstrap(reader: AccountReader, settings: Settings) -> QueryService:
    waits = ClientQuota("read-your-write waits", settings.max_waits_per_client)
    servicer = AccountQueryServicer(query_dispatcher(reader), settings.max_wait_seconds, waits)
    return QueryService(servicer, reader)


async def build_query_side(settings: Settings) -> QueryService:
    return bootstrap(await open_when_available(settings.query_db_url), settings)
