"""`python -m bench.echo_server PORT PAGE_SIZE`: a bare grpc.aio server, the yardstick.

It does no work at all: a unary method answers its request's bytes, and a server
stream sends pages of accounts built once at start, each the size and shape of a
Techbank FindAllAccountsResponse of PAGE_SIZE accounts. What Techbank does per call is then
measured against what gRPC alone costs on the same machine, in the same run.
"""

import asyncio
import sys
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import grpc

from bank.read_rows import wire_of
from core.paging import Page
from query_server import translation as wire
from query_server.handlers import ALL_ACCOUNTS

SERVICE = "bench.Echo"
UNARY, STREAM = f"/{SERVICE}/Echo", f"/{SERVICE}/Pages"


def page_of(size: int) -> bytes:
    """A FindAllAccountsResponse of `size` accounts like the ones the bench opens, and a
    next_page_token as long as Techbank's."""
    row = {
        "holder": "Bench Holder",
        "account_type": "CURRENT",
        "balance_cents": 123_456,
        "status": "OPEN",
        "opened_at": datetime.now(UTC),
        "version": 3,
    }
    accounts = [wire_of(row | {"account_id": str(uuid.uuid4())}) for _ in range(size)]
    return wire.page(Page(accounts, ALL_ACCOUNTS.token_after((str(uuid.uuid4()),))))


async def serve(port: int, page_size: int) -> None:
    page = page_of(page_size)

    async def echo(request: bytes, _context: Any) -> bytes:
        return request

    async def pages(request: bytes, _context: Any) -> AsyncIterator[bytes]:
        for _ in range(int(request or b"1")):
            yield page

    handlers: dict[str, grpc.RpcMethodHandler[Any, Any]] = {
        "Echo": grpc.unary_unary_rpc_method_handler(echo),
        "Pages": grpc.unary_stream_rpc_method_handler(pages),
    }
    server = grpc.aio.server()
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(SERVICE, handlers),))
    server.add_insecure_port(f"127.0.0.1:{port}")
    await server.start()
    await server.wait_for_termination()


if __name__ == "__main__":
    asyncio.run(serve(int(sys.argv[1]), int(sys.argv[2])))
