import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from adapters.sql_event_store import SqlEventStore
from adapters.store_layout import EarlierStoreLayout
from core.event_store import EventStore
from tests.contract.event_store_contract import EventStoreContract, event, request


class TestSqliteEventStore(EventStoreContract):
    @pytest.fixture
    async def store(self, tmp_path: Path) -> AsyncIterator[EventStore]:
        store = await SqlEventStore.connect(f"sqlite+aiosqlite:///{tmp_path}/events.db")
        yield store
        await store.close()

    async def test_events_survive_reopening_the_file(self, tmp_path: Path) -> None:
        url = f"sqlite+aiosqlite:///{tmp_path}/reopen.db"
        first = await SqlEventStore.connect(url)
        written = [event("a", 1), event("a", 2)]
        await first.append(written, 0, request())
        await first.close()
        second = await SqlEventStore.connect(url)
        assert await second.load("a") == written
        await second.close()


async def test_a_store_of_the_earlier_layout_is_refused_untouched(tmp_path: Path) -> None:
    database = tmp_path / "old.db"
    with sqlite3.connect(database) as connection:
        connection.execute("CREATE TABLE events (position INTEGER, request_fingerprint TEXT)")
    with pytest.raises(EarlierStoreLayout, match="earlier Techbank"):
        await SqlEventStore.connect(f"sqlite+aiosqlite:///{database}")
    with sqlite3.connect(database) as connection:
        tables = connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        assert [name for (name,) in tables] == ["events"]
