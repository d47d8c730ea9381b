"""GetAccountStatement's handler over a fake reader: pages, tokens, absence, waiting."""

import asyncio
from datetime import UTC, datetime

import pytest

from bank.read_rows import movement_wire_of
from core.errors import DeadlineExceeded, InvalidInput, NotFound
from core.paging import INVALID_PAGE_TOKEN
from query_server import translation as wire
from query_server.translation import GetAccountStatement
from tests.unit.test_query_handlers import ACCOUNT_ID, FakeReader, dispatcher_over, row

OTHER_ID = "00000000-0000-4000-8000-000000000001"


def reader_with(versions: int) -> FakeReader:
    reader = FakeReader(row(version=versions), row(OTHER_ID))
    reader.movements[ACCOUNT_ID] = [
        movement_wire_of(
            {
                "version": v,
                "kind": "DEPOSIT",
                "amount_cents": 1,
                "balance_cents": v,
                "occurred_at": datetime(2026, 1, 1, tzinfo=UTC),
                "reference": f"n{v}",
                "transfer_id": "",
            }
        )
        for v in range(1, versions + 1)
    ]
    return reader


async def pages_of(reader: FakeReader, **asked: object) -> list[tuple[list[int], str]]:
    query = GetAccountStatement(ACCOUNT_ID, **asked)  # type: ignore[arg-type]
    pages = await dispatcher_over(reader).ask(query)
    return [
        ([wire.movement_of(m).version for m in page.items], page.next_page_token)
        async for page in pages
    ]


async def test_the_statement_streams_every_movement_in_pages_and_resumes_from_a_token() -> None:
    reader = reader_with(5)
    pages = await pages_of(reader, page_size=2)
    assert [versions for versions, _ in pages] == [[1, 2], [3, 4], [5]]
    assert pages[-1][1] == ""
    resumed = await pages_of(reader, page_size=2, page_token=pages[0][1])
    assert [versions for versions, _ in resumed] == [[3, 4], [5]]


async def test_an_exact_page_ends_without_an_empty_one() -> None:
    assert [v for v, _ in await pages_of(reader_with(4), page_size=2)] == [[1, 2], [3, 4]]


async def test_an_unknown_account_is_not_found_before_any_page() -> None:
    reader = reader_with(1)
    with pytest.raises(NotFound):
        await dispatcher_over(reader).ask(GetAccountStatement(OTHER_ID.replace("1", "2")))


async def test_a_token_of_another_account_is_refused() -> None:
    reader = reader_with(3)
    [(_, token), _] = await pages_of(reader, page_size=2)
    with pytest.raises(InvalidInput) as refused:
        await dispatcher_over(reader).ask(GetAccountStatement(OTHER_ID, page_token=token))
    assert refused.value.reason == INVALID_PAGE_TOKEN


async def test_min_version_waits_for_the_read_model_and_then_streams() -> None:
    reader = reader_with(1)
    query = GetAccountStatement(ACCOUNT_ID, min_version=2, max_wait_seconds=5)
    waiting = asyncio.create_task(dispatcher_over(reader).ask(query))
    await asyncio.sleep(0.02)
    assert not waiting.done()
    grown = reader_with(2)
    reader.movements = grown.movements
    reader.put(row(version=2))
    pages = await waiting
    assert [[wire.movement_of(m).version for m in p.items] async for p in pages] == [[1, 2]]
    with pytest.raises(DeadlineExceeded):
        await dispatcher_over(reader).ask(
            GetAccountStatement(ACCOUNT_ID, min_version=9, max_wait_seconds=0.01)
        )


async def test_every_bad_field_is_refused_in_one_answer_before_any_read() -> None:
    reader = reader_with(1)
    query = GetAccountStatement("x", page_size=-1, page_token="not ours", min_version=0)
    with pytest.raises(InvalidInput) as refused:
        await dispatcher_over(reader).ask(query)
    fields = [violation.field for violation in refused.value.violations]
    assert fields == ["account_id", "page_size", "page_token", "min_version"]
    assert reader.lookups == 0


async def test_an_account_id_in_capitals_is_the_same_account_and_keeps_its_tokens() -> None:
    reader = reader_with(3)
    [(_, token), _] = await pages_of(reader, page_size=2)
    query = GetAccountStatement(ACCOUNT_ID.upper(), page_size=2, page_token=token)
    pages = await dispatcher_over(reader).ask(query)
    assert [[wire.movement_of(m).version for m in p.items] async for p in pages] == [[3]]
