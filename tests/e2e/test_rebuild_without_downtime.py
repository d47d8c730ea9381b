"""A rebuild of the read model while commands and queries keep coming, on each stack:
every answer during it is consistent, none fails, nothing is lost or counted twice."""

import random
import threading
import time
from collections.abc import Callable

from harness.system import System
from techbank.account.v1 import commands_pb2, queries_pb2
from tests.e2e.helpers import TIMEOUT, open_account, read

ACCOUNTS = 40


class Traffic:
    """Deposits of one cent to random accounts, and reads checking what they answer, on
    threads of their own until stopped. Every account opens empty, so an account at
    version v holds v - 1 cents, and its statement has v lines ending at that balance."""

    def __init__(self, system: System, accounts: list[str]) -> None:
        self.system, self.accounts = system, accounts
        self.versions = dict.fromkeys(accounts, 1)  # the highest version a deposit answered
        self.problems: list[str] = []
        self.answers = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._loop, args=(step,), daemon=True)
            for step in (self._deposit, self._read_one, self._read_all, self._read_statement)
        ]

    def __enter__(self) -> "Traffic":
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(TIMEOUT * 2)

    def _loop(self, step: Callable[[], None]) -> None:
        while not self._stop.is_set():
            try:
                step()
            except Exception as error:  # every failure is a problem to report
                self.problems.append(f"{step.__name__}: {error!r}")
            with self._lock:
                self.answers += 1

    def _deposit(self) -> None:
        account_id = random.choice(self.accounts)
        request = commands_pb2.DepositFundsRequest(account_id=account_id, amount_cents=1)
        version = self.system.commands.DepositFunds(request, timeout=TIMEOUT).version
        with self._lock:
            self.versions[account_id] = max(self.versions[account_id], version)

    def _read_one(self) -> None:
        account_id = random.choice(self.accounts)
        known = self.versions[account_id]
        account = read(self.system.queries, account_id, known)
        if account.version < known or account.balance_cents != account.version - 1:
            self.problems.append(f"{account_id}: {account.version=} {account.balance_cents=}")

    def _read_all(self) -> None:
        request = queries_pb2.FindAllAccountsRequest(page_size=7)
        seen = [
            a
            for page in self.system.queries.FindAllAccounts(request, timeout=TIMEOUT)
            for a in page.accounts
        ]
        mine = [a for a in seen if a.account_id in self.versions]
        if len(mine) != len(self.accounts):
            self.problems.append(f"FindAll saw {len(mine)} of {len(self.accounts)} accounts")
        wrong = [a.account_id for a in mine if a.balance_cents != a.version - 1]
        if wrong:
            self.problems.append(f"FindAll: balances not their versions' for {wrong}")

    def _read_statement(self) -> None:
        account_id = random.choice(self.accounts)
        request = queries_pb2.GetAccountStatementRequest(account_id=account_id, page_size=5)
        lines = [
            m
            for page in self.system.queries.GetAccountStatement(request, timeout=TIMEOUT)
            for m in page.movements
        ]
        if [m.version for m in lines] != list(range(1, len(lines) + 1)) or any(
            m.balance_cents != m.version - 1 for m in lines
        ):
            self.problems.append(
                f"statement of {account_id}: {[(m.version, m.balance_cents) for m in lines]}"
            )


def test_queries_stay_right_throughout_a_rebuild(system: System) -> None:
    accounts = [open_account(system.commands).account_id for _ in range(ACCOUNTS)]
    for account_id in accounts:
        read(system.queries, account_id, 1)
    with Traffic(system, accounts) as traffic:
        time.sleep(1.0)
        before = traffic.answers
        rebuilt = system.run_tool("projector.rebuild", "--grace-seconds", "2")
        during = traffic.answers - before
        time.sleep(1.0)
    assert rebuilt.returncode == 0, [
        line[:300] for line in rebuilt.stderr.splitlines() if "Error" in line
    ]
    assert "is live" in rebuilt.stderr and "dropped" in rebuilt.stderr, rebuilt.stderr[-3000:]
    assert traffic.problems == []
    assert before > 20 and during > 20, (before, during)
    for account_id, version in traffic.versions.items():
        assert read(system.queries, account_id, version).balance_cents >= version - 1
    checked = system.run_tool("projector.check", "--settle-seconds", "30")
    assert checked.returncode == 0, checked.stdout[-3000:]
