"""The benchmark's client: one grpc.aio channel to each server, shared by every simulated client."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

import grpc

from techbank.account.v1 import (
    account_pb2,
    commands_pb2_grpc,
    history_pb2_grpc,
    queries_pb2,
    queries_pb2_grpc,
    transfers_pb2_grpc,
)

if TYPE_CHECKING:
    from techbank.account.v1.commands_pb2_grpc import AccountCommandServiceAsyncStub
    from techbank.account.v1.history_pb2_grpc import AccountHistoryServiceAsyncStub
    from techbank.account.v1.queries_pb2_grpc import AccountQueryServiceAsyncStub
    from techbank.account.v1.transfers_pb2_grpc import TransferServiceAsyncStub

# Generous: a read-your-write wait after a burst of commands includes the projector's backlog.
CATCH_UP_TIMEOUT = 60.0
READY_TIMEOUT = 10.0


@dataclass(frozen=True)
class Api:
    commands: "AccountCommandServiceAsyncStub"
    queries: "AccountQueryServiceAsyncStub"
    transfers: "TransferServiceAsyncStub"
    history: "AccountHistoryServiceAsyncStub"


@asynccontextmanager
async def connect(command_address: str, query_address: str) -> AsyncIterator[Api]:
    async with (
        grpc.aio.insecure_channel(command_address) as command_channel,
        grpc.aio.insecure_channel(query_address) as query_channel,
    ):
        for channel in (command_channel, query_channel):
            await asyncio.wait_for(channel.channel_ready(), READY_TIMEOUT)
        yield Api(
            commands_pb2_grpc.AccountCommandServiceStub(command_channel),
            queries_pb2_grpc.AccountQueryServiceStub(query_channel),
            transfers_pb2_grpc.TransferServiceStub(command_channel),
            history_pb2_grpc.AccountHistoryServiceStub(command_channel),
        )


async def read_at(api: Api, account_id: str, version: int) -> account_pb2.Account:
    """The account once the read model has reached `version` of it."""
    query = queries_pb2.FindAccountByIdRequest(account_id=account_id, min_version=version)
    found = await api.queries.FindAccountById(query, timeout=CATCH_UP_TIMEOUT)
    return found.account
