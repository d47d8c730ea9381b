"""The parked events' contract on SQLite (the embedded default's event store file) and
MySQL (MariaDB here): one SQLAlchemy adapter serves both."""

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from adapters.sql.parked import SqlParkedEvents
from adapters.sqlite.event_store import SqliteEventStore
from core.parking import ParkedEvents
from harness.stack import mysql_url, scratch_mysql_database
from tests.contract.parked_events_contract import ParkedEventsContract


class TestSqliteParkedEvents(ParkedEventsContract):
    @pytest.fixture
    async def parked(self, tmp_path: Path) -> AsyncIterator[ParkedEvents]:
        """Beside the events, in the file the embedded event store made."""
        url = f"sqlite+aiosqlite:///{tmp_path}/events.db"
        await (await SqliteEventStore.connect(url)).close()
        parked = await SqlParkedEvents.connect(url)
        yield parked
        await parked.close()


@pytest.fixture(scope="module")
def mysql_database() -> Iterator[str]:
    with scratch_mysql_database("parked") as name:
        yield name


class TestMysqlParkedEvents(ParkedEventsContract):
    @pytest.fixture
    async def parked(self, mysql_database: str) -> AsyncIterator[ParkedEvents]:
        parked = await SqlParkedEvents.connect(mysql_url(mysql_database))
        yield parked
        await parked.close()
