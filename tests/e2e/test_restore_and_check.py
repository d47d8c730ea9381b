"""Restoring the read database from the event store, and checking it against the store."""

import asyncio
import threading

import sqlalchemy as sa

from adapters.sql.engine import create_engine
from adapters.sql.read_schema import live_tables
from harness.system import System
from techbank.account.v1 import account_pb2, commands_pb2, queries_pb2
from tests.e2e.helpers import TIMEOUT, open_account, read


def read_db_url(system: System) -> str:
    default = f"sqlite+aiosqlite:///{system.env['TECHBANK_DATA_DIR']}/read.db"
    return system.env.get("TECHBANK_READ_DB_URL", default)


def all_accounts(system: System) -> list[account_pb2.Account]:
    pages = system.queries.FindAllAccounts(queries_pb2.FindAllAccountsRequest(), timeout=TIMEOUT)
    return sorted((a for page in pages for a in page.accounts), key=lambda a: a.account_id)


async def corrupt(url: str, victim: str, tampered: str) -> None:
    """Lose one row, change another's balance and add a row no event explains."""
    engine = create_engine(url)
    async with engine.begin() as conn:
        accounts = (await conn.run_sync(live_tables)).accounts  # a rebuild may have run
        await conn.execute(accounts.delete().where(accounts.c.account_id == victim))
        await conn.execute(
            accounts.update()
            .where(accounts.c.account_id == tampered)
            .values(balance_cents=accounts.c.balance_cents + 1)
        )
        stray = await conn.execute(sa.select(accounts).where(accounts.c.account_id == tampered))
        await conn.execute(
            accounts.insert().values({**stray.mappings().one(), "account_id": "stray-row"})
        )
    await engine.dispose()


def test_restore_reproduces_the_read_database_exactly(system: System) -> None:
    ids = [open_account(system.commands, f"Restore {i}", 100 * i).account_id for i in range(4)]
    deposit = commands_pb2.DepositFundsRequest(account_id=ids[1], amount_cents=7)
    version = system.commands.DepositFunds(deposit, timeout=TIMEOUT).version
    read(system.queries, ids[1], version)
    for account_id in ids:
        read(system.queries, account_id, 1)
    before = all_accounts(system)

    asyncio.run(corrupt(read_db_url(system), victim=ids[0], tampered=ids[1]))
    broken = system.run_tool("projector.check")
    assert broken.returncode == 1, broken.stdout + broken.stderr
    assert "3 account(s) differ" in broken.stdout

    restored = system.run_tool("projector.restore")
    assert restored.returncode == 0, restored.stderr
    assert "restore done" in restored.stderr
    assert all_accounts(system) == before
    assert system.run_tool("projector.check").returncode == 0


def test_restore_is_correct_while_commands_keep_arriving(system: System) -> None:
    ids = [open_account(system.commands, "Busy", 0).account_id for _ in range(5)]
    stop = threading.Event()
    last_versions: dict[str, int] = {}

    def keep_depositing() -> None:
        while not stop.is_set():
            for account_id in ids:
                request = commands_pb2.DepositFundsRequest(account_id=account_id, amount_cents=1)
                last_versions[account_id] = system.commands.DepositFunds(
                    request, timeout=TIMEOUT
                ).version

    writer = threading.Thread(target=keep_depositing)
    writer.start()
    try:
        restored = system.run_tool("projector.restore")
    finally:
        stop.set()
        writer.join()
    assert restored.returncode == 0, restored.stderr
    for account_id, version in last_versions.items():
        assert read(system.queries, account_id, version).balance_cents == version - 1
    checked = system.run_tool("projector.check", "--settle-seconds", "10")
    assert checked.returncode == 0, checked.stdout
