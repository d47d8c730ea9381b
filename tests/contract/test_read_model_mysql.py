"""The read model contract for the SQLAlchemy SqlReadModel on MySQL (MariaDB)."""

from collections.abc import AsyncIterator

import pytest

from adapters.sql.read_model import SqlReadModel
from bank.read_model import ReadModel
from harness.stack import scratch_read_database
from tests.contract.read_model_contract import GenerationsContract, ReadModelContract


class TestSqlReadModelOnMysql(GenerationsContract, ReadModelContract):
    @pytest.fixture
    async def read_model(self) -> AsyncIterator[ReadModel]:
        with scratch_read_database("projection") as database:  # as the projector's user
            opened, _ = await SqlReadModel.connect(database.writer_url)
            yield opened
            await opened.close()
