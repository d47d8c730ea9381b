"""The read model contract for SqliteReadModel, on the embedded default's SQLite file."""

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from adapters.sqlite.read_model import SqliteReadModel
from bank.read_model import ReadModel
from projector.projection import AccountProjection
from tests.contract.read_model_contract import GenerationsContract, ReadModelContract, history
from tests.fakes import InMemoryEventStore


class TestSqliteReadModel(GenerationsContract, ReadModelContract):
    @pytest.fixture
    async def read_model(self, tmp_path: Path) -> AsyncIterator[ReadModel]:
        opened, _ = await SqliteReadModel.connect(f"sqlite+aiosqlite:///{tmp_path}/r.db")
        yield opened
        await opened.close()


async def test_a_read_model_of_an_earlier_layout_is_dropped_to_be_rebuilt(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/old.db"
    store = InMemoryEventStore()
    read_model, fresh = await SqliteReadModel.connect(url)
    await AccountProjection(read_model, store.load).handle(await history(store))
    await read_model.close()
    assert fresh
    with sqlite3.connect(tmp_path / "old.db") as db:
        db.execute("UPDATE read_model_layout SET version = 1")
    read_model, fresh = await SqliteReadModel.connect(url)
    assert fresh and [r async for r in read_model.rows()] == []
    await AccountProjection(read_model, store.load).handle(await store.load("a1"))
    await read_model.close()
    read_model, fresh = await SqliteReadModel.connect(url)
    assert not fresh  # it holds accounts again
    await read_model.close()


@pytest.mark.parametrize(
    ("change", "dropped"),
    [
        ("DROP TABLE read_model_layout", True),  # layout 1 kept no record of itself
        ("DELETE FROM read_model_layout", False),  # this layout, its row not yet written
    ],
)
async def test_the_layout_record_decides_whether_rows_are_dropped(
    tmp_path: Path, change: str, dropped: bool
) -> None:
    """An empty layout table is what another process creating the tables leaves for a
    moment: its accounts are kept, not dropped from under it."""
    url = f"sqlite+aiosqlite:///{tmp_path}/read.db"
    store = InMemoryEventStore()
    read_model, _ = await SqliteReadModel.connect(url)
    await AccountProjection(read_model, store.load).handle(await history(store))
    await read_model.close()
    with sqlite3.connect(tmp_path / "read.db") as db:
        db.execute(change)
    read_model, fresh = await SqliteReadModel.connect(url)
    assert fresh is dropped
    await read_model.close()
