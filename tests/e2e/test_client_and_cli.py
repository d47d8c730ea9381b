"""The Python client (techbank_client) and the `techbank` command against the real
servers: every command and query, transfers and balances as of a moment, human and JSON
output, and a refusal's error line. (The operator's tools: test_admin.py.)"""

import json
import os
import re
import subprocess
import sys
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import grpc
import pytest

from harness.processes import REPO
from harness.system import System
from techbank_client import (
    AccountStatus,
    AccountType,
    Comparison,
    TechbankClient,
    TechbankError,
)

INSUFFICIENT = (
    "error: FAILED_PRECONDITION INSUFFICIENT_FUNDS: Withdraw declined, insufficient funds!"
)


def client_of(system: System) -> TechbankClient:
    env = system.env
    return TechbankClient(env["TECHBANK_COMMAND_ADDRESS"], env["TECHBANK_QUERY_ADDRESS"])


def techbank(system: System, *args: str, stderr: Any = subprocess.PIPE) -> "Ran":
    """`python -m techbank_client.cli ARGS` in the system's environment (its addresses)."""
    ran = subprocess.run(
        [sys.executable, "-m", "techbank_client.cli", *args],
        cwd=REPO,
        env={**os.environ, **system.env},
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
        timeout=120,
        check=False,
    )
    return Ran(ran.returncode, ran.stdout, ran.stderr or "")


@dataclass(frozen=True)
class Ran:
    status: int
    out: str
    err: str

    def ok(self) -> "Ran":
        assert self.status == 0, self.err
        assert "Traceback" not in self.err
        return self

    def json(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.ok().out.splitlines()]


def holder() -> str:
    """A holder no other test uses: the system is shared by every e2e test."""
    return f"Client {uuid.uuid4().hex[:8]}"


@pytest.mark.stack_independent  # the client's side; the servers': test_commands_and_queries
async def test_the_client_opens_moves_money_closes_and_finds(system: System) -> None:
    name = holder()
    async with client_of(system) as bank:
        opened = await bank.open_account(name, AccountType.SAVINGS, 10_000)
        other = await bank.open_account(name, AccountType.CURRENT)
        await bank.deposit(opened.account_id, 2_500)
        withdrawn = await bank.withdraw(opened.account_id, 500, expected_version=2)
        account = await bank.get_account(opened.account_id, min_version=withdrawn.version)
        assert (account.holder, account.balance_cents, account.version) == (name, 12_000, 3)
        await bank.get_account(other.account_id, min_version=1)
        theirs = [a.account_id async for a in bank.find_by_holder(name, page_size=1)]
        assert theirs == sorted([opened.account_id, other.account_id])
        above = [
            a.account_id async for a in bank.find_with_balance(Comparison.GREATER_THAN, 11_999)
        ]
        assert opened.account_id in above and other.account_id not in above
        every = [a.account_id async for a in bank.all_accounts(page_size=2)]
        assert every == sorted(set(every)) and opened.account_id in every
        closed = await bank.close_account(opened.account_id)
        account = await bank.get_account(opened.account_id, min_version=closed.version)
        assert (account.status, closed.version) == (AccountStatus.CLOSED, 4)


@pytest.mark.stack_independent
async def test_the_client_raises_refusals_with_their_reason(system: System) -> None:
    async with client_of(system) as bank:
        opened = await bank.open_account(holder(), AccountType.SAVINGS, 100)
        with pytest.raises(TechbankError) as raised:
            await bank.withdraw(opened.account_id, 101)
        assert (raised.value.code, raised.value.reason) == (
            grpc.StatusCode.FAILED_PRECONDITION,
            "INSUFFICIENT_FUNDS",
        )
        assert raised.value.metadata["accountId"] == opened.account_id
        with pytest.raises(TechbankError) as raised:
            await bank.deposit("x", 0)
        assert [v.field for v in raised.value.field_violations] == ["account_id", "amount_cents"]


@pytest.mark.stack_independent
def test_the_command_line_for_people_and_for_programs(system: System) -> None:
    name = holder()
    (opened,) = techbank(
        system,
        "--json",
        "accounts",
        "open",
        "--holder",
        name,
        "--type",
        "savings",
        "--opening-cents",
        "10000",
    ).json()
    account = opened["account_id"]
    assert opened == {"account_id": account, "version": 1}
    deposited = techbank(system, "accounts", "deposit", account, "2500").ok().out
    assert deposited == f"deposited 25.00 into {account} (version 2)\n"
    withdrawn = techbank(system, "accounts", "withdraw", account, "500", "--expected-version", "2")
    assert withdrawn.ok().out == f"withdrew 5.00 from {account} (version 3)\n"

    shown = techbank(system, "accounts", "get", account, "--min-version", "3").ok().out
    assert re.search(r"^balance +120\.00$", shown, re.MULTILINE), shown
    (read,) = techbank(system, "accounts", "get", account, "--min-version", "3", "--json").json()
    assert (read["balance_cents"], read["version"], read["status"]) == (12000, 3, "open")
    assert (read["holder"], read["account_type"]) == (name, "savings")

    found = techbank(system, "accounts", "find", "--holder", name).ok().out.splitlines()
    assert found[0].startswith(account) and "120.00" in found[0] and found[-1] == "1 account"
    above = techbank(system, "--json", "accounts", "find", "--above", "11999").json()
    assert account in [a["account_id"] for a in above]
    listed = [
        a["account_id"]
        for a in techbank(system, "--json", "accounts", "list", "--page-size", "2").json()
    ]
    assert account in listed and listed == sorted(set(listed))

    declined = techbank(system, "accounts", "withdraw", account, "999999")
    assert (declined.status, declined.err, declined.out) == (19, INSUFFICIENT + "\n", "")
    closed = techbank(system, "accounts", "close", account).ok().out
    assert closed == f"closed account {account} (version 4)\n"
    (read,) = techbank(system, "--json", "accounts", "get", account, "--min-version", "4").json()
    assert read["status"] == "closed"


@pytest.mark.stack_independent  # the servers': test_transfers
def test_the_command_line_sends_a_transfer_and_reads_a_past_balance(system: System) -> None:
    source, target = (
        techbank(system, "--json", "accounts", "open", "--holder", holder(), *kind).json()[0]
        for kind in (["--type", "savings", "--opening-cents", "10000"], ["--type", "current"])
    )
    sent = [source["account_id"], target["account_id"], "2500", "--reference", "invoice 7"]
    (moved,) = techbank(system, "--json", "transfers", "send", *sent).json()
    assert (moved["status"], moved["amount_cents"], moved["reference"]) == (
        "completed",
        2500,
        "invoice 7",
    )
    shown = techbank(system, "transfers", "show", moved["transfer_id"]).ok().out
    assert re.search(r"^status +completed$", shown, re.MULTILINE), shown
    assert re.search(r"^amount +25\.00$", shown, re.MULTILINE), shown

    now = datetime.now(UTC).isoformat()
    past = techbank(system, "accounts", "balance-as-of", source["account_id"], now).ok().out
    assert re.search(r"^balance +75\.00$", past, re.MULTILINE), past
    assert re.search(r"^version +2$", past, re.MULTILINE), past

    refused = techbank(system, "transfers", "send", *sent[:2], "999999")
    assert (refused.status, refused.err) == (1, "")
    assert "INSUFFICIENT_FUNDS: Withdraw declined, insufficient funds!" in refused.out
    deposited = ["accounts", "deposit", target["account_id"], "1", "--reference", "gift"]
    assert techbank(system, *deposited).ok().out.endswith("(version 3)\n")
    lines = techbank(system, "accounts", "statement", target["account_id"], "--min-version", "3")
    assert lines.ok().out.splitlines()[2].endswith("  gift"), lines.out


@pytest.mark.stack_independent  # the client's side of the servers' errors: test_error_details
def test_the_command_line_under_json_says_its_errors_in_json_on_stderr(system: System) -> None:
    (opened,) = techbank(
        system, "--json", "accounts", "open", "--holder", holder(), "--type", "current"
    ).json()
    account = opened["account_id"]
    declined = techbank(system, "--json", "accounts", "withdraw", account, "999999")
    assert (declined.status, declined.out) == (19, "")
    (line,) = declined.err.splitlines()
    error = json.loads(line)["error"]
    assert error["metadata"]["accountId"] == account, error
    assert {**error, "metadata": None} == {
        "code": "FAILED_PRECONDITION",
        "reason": "INSUFFICIENT_FUNDS",
        "message": "Withdraw declined, insufficient funds!",
        "domain": "techbank.account.v1",
        "metadata": None,
        "field_violations": [],
    }
    currency = techbank(system, "--json", "accounts", "deposit", account, "12.50")
    assert (currency.status, currency.out) == (2, "")
    (line,) = currency.err.splitlines()
    assert "amount must be whole cents, like 1250 for 12.50" in json.loads(line)["error"]["message"]
    shown = techbank(system, "accounts", "get", account, "--min-version", "1").ok().out
    assert re.search(r"^balance +0\.00$", shown, re.MULTILINE), shown  # nothing was deposited


@pytest.mark.stack_independent
def test_the_command_line_says_its_version(system: System) -> None:
    assert re.fullmatch(r"techbank \d+\.\d+\.\d+.*\n", techbank(system, "--version").ok().out)
