"""The event store contract on SQLite: the embedded default's adapter (plain sqlite3, group
commit) and the SQLAlchemy one, which share the file's layout."""

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from adapters.settings import EarlierStoreLayout
from adapters.sql.event_store import SqlEventStore
from adapters.sqlite.event_store import SqliteEventStore
from core.errors import ConcurrencyError, Unavailable
from core.event_store import EventStore
from core.requests import RequestAlreadyDecided
from tests.contract.event_store_contract import EventStoreContract, append, event, request


class TestSqliteEventStore(EventStoreContract):
    @pytest.fixture
    async def store(self, tmp_path: Path) -> AsyncIterator[EventStore]:
        store = await SqliteEventStore.connect(f"sqlite:///{tmp_path}/events.db")
        yield store
        await store.close()

    async def test_a_group_commits_its_writes_and_refuses_only_the_failed_ones(
        self, store: EventStore
    ) -> None:
        """Writes issued together are committed together; a refused one is undone alone."""
        taken = request()
        await append(store, [event("a", 1)], 0, taken)
        results = await asyncio.gather(
            append(store, [event("b", 1)], 0, request()),
            append(store, [event("a", 1)], 0, request()),  # a lost race
            append(store, [event("c", 1)], 0, taken),  # a repeated request
            append(store, [event("d", 1), event("d", 2)], 0, request()),
            return_exceptions=True,
        )
        assert [type(r).__name__ for r in results] == [
            "NoneType",
            ConcurrencyError.__name__,
            RequestAlreadyDecided.__name__,
            "NoneType",
        ]
        assert [len(await store.load(a)) for a in "abcd"] == [1, 1, 0, 2]

    async def test_ping_fails_while_another_connection_holds_the_write_lock(
        self, tmp_path: Path
    ) -> None:
        """Reads of a WAL file go on; appends would wait for the lock, and so does ping."""
        store = await SqliteEventStore.connect(f"sqlite:///{tmp_path}/locked.db?timeout=0.2")
        locker = sqlite3.connect(tmp_path / "locked.db", isolation_level=None)
        locker.execute("BEGIN IMMEDIATE")
        with pytest.raises(Unavailable):
            await store.ping()
        assert await store.load("a") == []
        locker.execute("ROLLBACK")
        locker.close()
        await store.ping()
        await store.close()


class TestSqlEventStoreOnSqlite(EventStoreContract):
    @pytest.fixture
    async def store(self, tmp_path: Path) -> AsyncIterator[EventStore]:
        store = await SqlEventStore.connect(f"sqlite+aiosqlite:///{tmp_path}/events.db")
        yield store
        await store.close()


@pytest.mark.parametrize("writer", [SqliteEventStore, SqlEventStore])
async def test_events_survive_reopening_the_file_with_either_adapter(
    tmp_path: Path, writer: type[SqliteEventStore] | type[SqlEventStore]
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/reopen.db"
    first = await writer.connect(url)
    written = [event("a", 1), event("a", 2)]
    made = request()
    await append(first, written, 0, made)
    await first.close()
    for reader in (SqliteEventStore, SqlEventStore):
        second = await reader.connect(url)
        assert await second.load("a") == written
        assert await second.outcome(made.key) is not None
        await second.close()


@pytest.mark.parametrize("adapter", [SqliteEventStore, SqlEventStore])
async def test_a_store_of_the_earlier_layout_is_refused_untouched(
    tmp_path: Path, adapter: type[SqliteEventStore] | type[SqlEventStore]
) -> None:
    database = tmp_path / "old.db"
    with sqlite3.connect(database) as connection:
        connection.execute("CREATE TABLE events (position INTEGER, request_fingerprint TEXT)")
    with pytest.raises(EarlierStoreLayout, match="earlier Techbank"):
        await adapter.connect(f"sqlite+aiosqlite:///{database}")
    with sqlite3.connect(database) as connection:
        tables = connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        assert [name for (name,) in tables] == ["events"]
