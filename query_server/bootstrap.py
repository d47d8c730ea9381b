"""Wires the query side's dependencies, from settings to a servicer, in one place."""

from dataclasses import dataclass
from typing import Any

import grpc

from adapters.settings import Settings
from core.dispatcher import Dispatcher
from query_server.account_reader import SqlAccountReader
from query_server.handlers import register_handlers
from query_server.servicer import AccountQueryServicer
from techbank.account.v1 import queries_pb2, queries_pb2_grpc

SERVICE_NAME = queries_pb2.DESCRIPTOR.services_by_name["AccountQueryService"].full_name


@dataclass(frozen=True)
class QueryService:
    servicer: AccountQueryServicer
    reader: SqlAccountReader

    def register(self, server: grpc.aio.Server) -> None:
        queries_pb2_grpc.add_AccountQueryServiceServicer_to_server(self.servicer, server)

    async def close(self) -> None:
        await self.reader.close()


async def bootstrap(settings: Settings) -> QueryService:
    reader = await SqlAccountReader.connect(settings.read_db_url)
    dispatcher: Dispatcher[Any] = Dispatcher()
    register_handlers(dispatcher, reader)
    return QueryService(AccountQueryServicer(dispatcher), reader)
