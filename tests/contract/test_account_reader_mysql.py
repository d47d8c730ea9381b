"""The account reader contract for MysqlAccountReader on MySQL (MariaDB)."""

from collections.abc import Iterator

import pytest

from adapters.sql.reader import MysqlAccountReader
from bank.account_reader import AccountReader
from harness.processes import free_port
from harness.stack import mysql_url, scratch_mysql_database
from tests.contract.account_reader_contract import AccountReaderContract


@pytest.fixture(scope="module")
def mysql_database() -> Iterator[str]:
    with scratch_mysql_database("reader") as name:
        yield name


class OnMysql:
    @pytest.fixture
    def database_url(self, mysql_database: str) -> str:
        return mysql_url(mysql_database)

    @pytest.fixture
    def unreachable_url(self) -> str:
        return mysql_url("techbank_nowhere").replace(":3306/", f":{free_port()}/")


class TestMysqlAccountReader(OnMysql, AccountReaderContract):
    async def open_reader(self, url: str) -> AccountReader:
        return await MysqlAccountReader.connect(url)
