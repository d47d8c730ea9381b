"""The query side's composition root: `bootstrap` wires a reader into a service (the
tests hand it fakes), `build_query_side` opens the reader the settings name."""

import asyncio
import logging
from dataclasses import dataclass

import grpc
from sqlalchemy.engine import make_url

from adapters.grpc_limits import ClientQuota, StreamGate
from adapters.grpc_services import add_service
from adapters.settings import Settings
from core.dispatcher import Dispatcher
from core.errors import Unavailable
from query_server.account_reader import AccountReader
from query_server.handlers import register_handlers
from query_server.mysql_reader import MysqlAccountReader
from query_server.servicer import AccountQueryServicer
from query_server.sql_reader import SqlAccountReader
from query_server.sqlite_reader import SqliteAccountReader
from techbank.account.v1 import queries_pb2

log = logging.getLogger(__name__)
RETRY_SECONDS = 0.2
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


async def open_account_reader(url: str) -> AccountReader:
    """SQLite and MySQL through their own drivers directly; other databases through SQLAlchemy."""
    backend = make_url(url).get_backend_name()
    if backend == "sqlite":
        return await SqliteAccountReader.connect(url)
    if backend == "mysql":
        return await MysqlAccountReader.connect(url)
    return await SqlAccountReader.connect(url)


async def open_when_available(url: str) -> AccountReader:
    """The reader, once the read database lets it in. Started beside the process that
    creates the tables (the embedded command server, the projector), it may find the
    database locked or not there yet: it waits (SIGTERM still ends it at once)."""
    said = False
    while True:
        try:
            return await open_account_reader(url)
        except Unavailable:
            if not said:
                log.warning("the read database is unavailable; trying again until it is not")
                said = True
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
