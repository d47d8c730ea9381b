"""The read model contract for the SQLAlchemy SqlReadModel on SQLite."""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from adapters.sql.read_model import SqlReadModel
from bank.read_model import ReadModel
from tests.contract.read_model_contract import GenerationsContract, ReadModelContract


class TestSqlReadModelOnSqlite(GenerationsContract, ReadModelContract):
    @pytest.fixture
    async def read_model(self, tmp_path: Path) -> AsyncIterator[ReadModel]:
        opened, _ = await SqlReadModel.connect(f"sqlite+aiosqlite:///{tmp_path}/r.db")
        yield opened
        await opened.close()
