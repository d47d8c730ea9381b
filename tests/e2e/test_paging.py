"""Paged answers (AIP-158) through the real servers: every page bounded, a broken stream
resumed where it broke, tokens good only for the query that gave them, and a large read
model (100,000 accounts with 200-character holders) read whole by a default client."""

import asyncio
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import grpc
import pytest

from adapters.sql.engine import create_engine
from adapters.sql.read_generations import FIRST, tables_of
from adapters.sql.read_schema import create_schema
from bank.read_rows import wire_of
from harness.processes import ServerProcess, free_port
from harness.system import System
from techbank.account.v1 import queries_pb2 as q
from techbank.account.v1 import queries_pb2_grpc
from tests.e2e.helpers import TIMEOUT, open_account, read, refusal_of

# A new read model starts with its first generation, which these tests write directly.
accounts = tables_of(FIRST).accounts

LARGE = 100_000
LONG_HOLDER = "Ada " + "𝄞" * 196  # 200 characters, 788 bytes of UTF-8


def test_a_broken_stream_resumes_after_the_last_page_it_delivered(system: System) -> None:
    opened = [open_account(system.commands).account_id for _ in range(9)]
    for account_id in opened:  # on Kafka, accounts in other partitions may come later
        read(system.queries, account_id, 1)
    everything = all_ids(system.queries.FindAllAccounts(q.FindAllAccountsRequest()))
    stream = system.queries.FindAllAccounts(q.FindAllAccountsRequest(page_size=2), timeout=TIMEOUT)
    delivered = [next(stream), next(stream)]
    stream.cancel()
    resumed = q.FindAllAccountsRequest(page_size=3, page_token=delivered[-1].next_page_token)
    rest = list(system.queries.FindAllAccounts(resumed, timeout=TIMEOUT))
    assert all_ids(delivered) + all_ids(rest) == everything
    assert set(opened) <= set(everything)
    assert [bool(page.next_page_token) for page in rest][-1] is False


def test_a_holders_accounts_come_a_page_at_a_time(system: System) -> None:
    holder = f"Paged {uuid.uuid4()}"
    opened = sorted(open_account(system.commands, holder=holder).account_id for _ in range(5))
    for account_id in opened:
        read(system.queries, account_id, 1)
    pages = walk(system.queries.FindAccountsByHolder, q.FindAccountsByHolderRequest(holder=holder))
    assert [len(page.accounts) for page in pages] == [2, 2, 1]
    assert all_ids(pages) == opened


def test_balance_pages_are_ordered_by_balance_then_id(system: System) -> None:
    floor = 7 * 10**17 + uuid.uuid4().int % 10**15  # above any other test's balances
    cents = [floor + 3, floor + 1, floor + 2, floor + 2, floor + 1]
    opened = {open_account(system.commands, cents=c).account_id: c for c in cents}
    for account_id in opened:
        read(system.queries, account_id, 1)
    request = q.FindAccountsWithBalanceRequest(
        equality_type=q.EQUALITY_TYPE_GREATER_THAN, balance_cents=floor
    )
    pages = walk(system.queries.FindAccountsWithBalance, request)
    ours = [i for i in all_ids(pages) if i in opened]
    assert ours == sorted(opened, key=lambda i: (opened[i], i))
    assert all(len(page.accounts) <= 2 for page in pages)


@pytest.mark.stack_independent  # the token is checked before any read
def test_a_page_token_of_another_query_is_refused_with_its_field(system: System) -> None:
    holder = f"Paged {uuid.uuid4()}"
    for _ in range(2):
        read(system.queries, open_account(system.commands, holder=holder).account_id, 1)
    first = system.queries.FindAccountsByHolder(
        q.FindAccountsByHolderRequest(holder=holder, page_size=1), timeout=TIMEOUT
    )
    other = q.FindAccountsByHolderRequest(holder="Bob", page_token=first.next_page_token)
    refused = refusal_of(lambda: system.queries.FindAccountsByHolder(other, timeout=TIMEOUT))
    assert (refused.code, refused.reason) == (
        grpc.StatusCode.INVALID_ARGUMENT,
        "INVALID_PAGE_TOKEN",
    )
    assert refused.fields == ["page_token"]
    forged = q.FindAllAccountsRequest(page_token="bm90IGEgdG9rZW4")
    stream = system.queries.FindAllAccounts(forged, timeout=TIMEOUT)
    assert refusal_of(lambda: list(stream)).reason == "INVALID_PAGE_TOKEN"


def walk(rpc: Any, request: Any, page_size: int = 2) -> list[Any]:
    """Every page of a paged query, following next_page_token."""
    request.page_size = page_size
    pages = [rpc(request, timeout=TIMEOUT)]
    while pages[-1].next_page_token:
        request.page_token = pages[-1].next_page_token
        pages.append(rpc(request, timeout=TIMEOUT))
    return pages


def all_ids(pages: Any) -> list[str]:
    return [account.account_id for page in pages for account in page.accounts]


@pytest.fixture(scope="module")
def large_read_model(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A query server over a read model of LARGE accounts, all of one 200-character
    holder, written as the projector writes them; its address."""
    data = tmp_path_factory.mktemp("large")
    url = f"sqlite+aiosqlite:///{data}/read.db"
    asyncio.run(fill(url))
    address = f"127.0.0.1:{free_port()}"
    env = {"TECHBANK_READ_DB_URL": url, "TECHBANK_QUERY_ADDRESS": address}
    server = ServerProcess("query_server", env, Path(data) / "query.log", address).start()
    yield address
    server.kill()


async def fill(url: str) -> None:
    engine = create_engine(url)
    await create_schema(engine)
    opened_at = datetime(2026, 1, 1, tzinfo=UTC)
    async with engine.begin() as conn:
        for start in range(0, LARGE, 10_000):
            rows = [large_row(n, opened_at) for n in range(start, start + 10_000)]
            await conn.execute(accounts.insert(), rows)
    await engine.dispose()


def large_row(n: int, opened_at: datetime) -> dict[str, Any]:
    values = {
        "account_id": str(uuid.UUID(int=n, version=4)),
        "holder": LONG_HOLDER,
        "account_type": "SAVINGS",
        "balance_cents": n % 1000,
        "status": "OPEN",
        "opened_at": opened_at,
        "version": 1,
    }
    return values | {"wire": wire_of(values)}


@pytest.mark.parametrize("page_size", [0, 5000])
def test_every_query_reads_a_large_read_model_whole_on_default_settings(
    large_read_model: str, page_size: int
) -> None:
    """A channel with gRPC's defaults (4 MiB messages at most) reads every account by
    each query; page_size 5000 is read as the maximum, 1000."""
    with grpc.insecure_channel(large_read_model) as channel:
        queries = queries_pb2_grpc.AccountQueryServiceStub(channel)
        streamed = queries.FindAllAccounts(q.FindAllAccountsRequest(page_size=page_size))
        by_holder = q.FindAccountsByHolderRequest(holder=LONG_HOLDER)
        above = q.FindAccountsWithBalanceRequest(
            equality_type=q.EQUALITY_TYPE_GREATER_THAN, balance_cents=-1
        )
        answers = {
            "FindAllAccounts": list(streamed),
            "FindAccountsByHolder": walk(queries.FindAccountsByHolder, by_holder, page_size),
            "FindAccountsWithBalance": walk(queries.FindAccountsWithBalance, above, page_size),
        }
    for rpc, pages in answers.items():
        found = all_ids(pages)
        assert (len(found), len(set(found))) == (LARGE, LARGE), rpc
        assert max(len(page.accounts) for page in pages) == min(page_size or 100, 1000), rpc
        assert max(page.ByteSize() for page in pages) < 1024 * 1024, rpc
