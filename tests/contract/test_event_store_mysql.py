"""The event store contract against MySQL (MariaDB here): the SQL adapter serves it too."""

from collections.abc import AsyncIterator, Iterator

import pytest

from adapters.sql.event_store import SqlEventStore
from core.event_store import EventStore
from harness.stack import mysql_url, scratch_mysql_database
from tests.contract.event_store_contract import EventStoreContract


@pytest.fixture(scope="module")
def mysql_database() -> Iterator[str]:
    with scratch_mysql_database("events") as name:
        yield name


class TestMysqlEventStore(EventStoreContract):
    @pytest.fixture
    async def store(self, mysql_database: str) -> AsyncIterator[EventStore]:
        store = await SqlEventStore.connect(mysql_url(mysql_database))
        yield store
        await store.close()
