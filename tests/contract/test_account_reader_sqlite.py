"""The account reader contract for SqliteAccountReader, on the embedded default's SQLite file."""

from pathlib import Path

import pytest

from adapters.sqlite.reader import SqliteAccountReader
from bank.account_reader import AccountReader, NoReadModel
from tests.contract.account_reader_contract import AccountReaderContract, OnSqlite


class TestSqliteAccountReader(OnSqlite, AccountReaderContract):
    async def open_reader(self, url: str) -> AccountReader:
        return await SqliteAccountReader.connect(url)


async def test_the_reader_never_creates_the_file(tmp_path: Path) -> None:
    reader = await SqliteAccountReader.connect(f"sqlite+aiosqlite:///{tmp_path}/read.db")
    for _ in range(2):
        with pytest.raises(NoReadModel):
            await reader.ping()
    await reader.close()
    assert not (tmp_path / "read.db").exists()
