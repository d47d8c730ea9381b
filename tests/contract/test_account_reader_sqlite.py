"""The account reader contract for SqliteAccountReader, on the embedded default's SQLite file."""

from query_server.account_reader import AccountReader
from query_server.sqlite_reader import SqliteAccountReader
from tests.contract.account_reader_contract import AccountReaderContract, OnSqlite


class TestSqliteAccountReader(OnSqlite, AccountReaderContract):
    async def open_reader(self, url: str) -> AccountReader:
        return await SqliteAccountReader.connect(url)
