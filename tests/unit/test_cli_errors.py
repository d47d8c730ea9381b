"""The `techbank` command's version, its amounts in whole cents, and its errors under
--json: one JSON object on stderr (stdout keeps only answers), the exit status as
without --json. Run as a user runs it (`python -m techbank_client ...`), against the
fake server where a call is needed."""

import asyncio
import json
import os
import subprocess
import sys
import tomllib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import grpc
import pytest

from harness.processes import REPO
from techbank_client.cli import main
from tests.support.fake_techbank import FakeTechbank, Refusal, account, serving

ADA = account(1, "Ada", balance_cents=12000)
WHOLE_CENTS = "amount must be whole cents, like 1250 for 12.50 (not '12.50')"
AMOUNTS = [
    ["accounts", "deposit", ADA.account_id, "12.50"],
    ["accounts", "withdraw", ADA.account_id, "12.50"],
    ["accounts", "open", "--holder", "Ada", "--type", "savings", "--opening-cents", "12.50"],
    ["accounts", "find", "--above", "12.50"],
    ["transfers", "send", ADA.account_id, ADA.account_id, "12.50"],
]


def techbank(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "techbank_client", *args],
        cwd=REPO,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def only_error(err: str) -> dict[str, Any]:
    """The one JSON object stderr holds, its `error`."""
    (line,) = err.splitlines()
    fields: dict[str, Any] = json.loads(line)["error"]
    return fields


def test_version_is_the_projects_when_run_from_the_source_tree() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    ran = techbank("--version")
    assert (ran.returncode, ran.stderr) == (0, "")
    assert ran.stdout == f"techbank {project['version']} (source tree, not installed)\n"


def test_version_is_the_installed_distributions(tmp_path: Path) -> None:
    """As `pip install` leaves it: the distribution's metadata, found on the path first."""
    installed = tmp_path / "techbank-9.8.7.dist-info"
    installed.mkdir()
    (installed / "METADATA").write_text("Metadata-Version: 2.1\nName: techbank\nVersion: 9.8.7\n")
    ran = techbank("--version", env={"PYTHONPATH": str(tmp_path)})
    assert (ran.returncode, ran.stdout, ran.stderr) == (0, "techbank 9.8.7\n", "")


def test_an_amount_in_currency_is_refused_as_not_whole_cents() -> None:
    ran = techbank("accounts", "deposit", ADA.account_id, "12.50")
    assert (ran.returncode, ran.stdout) == (2, "")
    assert ran.stderr.startswith("usage: techbank accounts deposit ")
    last = ran.stderr.splitlines()[-1]
    assert last == f"techbank accounts deposit: error: argument CENTS: {WHOLE_CENTS}"


@pytest.mark.parametrize("words", AMOUNTS, ids=lambda words: " ".join(words[:2]))
def test_every_amount_is_whole_cents(words: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(words) == 2
    assert capsys.readouterr().err.rstrip().endswith(WHOLE_CENTS)


def test_an_argument_error_under_json_is_one_json_object() -> None:
    ran = techbank("--json", "accounts", "deposit", ADA.account_id, "12.50")
    assert (ran.returncode, ran.stdout) == (2, "")
    assert only_error(ran.stderr) == {
        "code": None,
        "reason": None,
        "message": f"argument CENTS: {WHOLE_CENTS}",
        "domain": None,
        "metadata": {},
        "field_violations": [],
    }


@pytest.mark.parametrize(
    "words", [["accounts", "get", "--json"], ["--json", "accounts", "depos", "x"], ["--json"]]
)
def test_usage_errors_under_json_wherever_it_is_given(
    words: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(words) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    error = only_error(captured.err)
    assert error["code"] is None and error["message"]


def test_unusable_credentials_under_json_are_one_json_object(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["--json", "--token", "t0ken", "accounts", "close", ADA.account_id]) == 2
    error = only_error(capsys.readouterr().err)
    assert (error["code"], error["message"]) == (
        None,
        "a bearer token needs TLS: the servers never take one in the clear",
    )


@pytest.fixture
def fake() -> FakeTechbank:
    return FakeTechbank(accounts=[ADA])


@pytest.fixture
async def address(fake: FakeTechbank) -> AsyncIterator[str]:
    async with serving(fake) as serving_at:
        yield serving_at


async def test_a_refusal_under_json_has_its_code_reason_and_details(
    fake: FakeTechbank, address: str
) -> None:
    message = "Withdraw declined, insufficient funds!"
    metadata = {"accountId": ADA.account_id}
    fake.plan = [
        Refusal(grpc.StatusCode.FAILED_PRECONDITION, "INSUFFICIENT_FUNDS", message, metadata)
    ]
    where = ["--command-address", address, "--query-address", address]
    words = [*where, "accounts", "withdraw", ADA.account_id, "999999", "--json"]
    ran = await asyncio.to_thread(techbank, *words)
    assert (ran.returncode, ran.stdout) == (10 + 9, "")
    assert only_error(ran.stderr) == {
        "code": "FAILED_PRECONDITION",
        "reason": "INSUFFICIENT_FUNDS",
        "message": message,
        "domain": "techbank.account.v1",
        "metadata": metadata,
        "field_violations": [],
    }


async def test_field_violations_under_json(
    fake: FakeTechbank, address: str, capsys: pytest.CaptureFixture[str]
) -> None:
    violations = (("amount_cents", "must be positive"),)
    fake.plan = [
        Refusal(grpc.StatusCode.INVALID_ARGUMENT, "INVALID_ARGUMENT", "bad", {}, violations)
    ]
    where = ["--command-address", address, "--query-address", address, "--json"]
    words = [*where, "accounts", "deposit", ADA.account_id, "0"]
    assert await asyncio.to_thread(main, words) == 10 + 3
    error = only_error(capsys.readouterr().err)
    assert error["field_violations"] == [
        {"field": "amount_cents", "description": "must be positive"}
    ]


def test_no_server_under_json_is_unavailable_without_a_reason(
    capsys: pytest.CaptureFixture[str],
) -> None:
    words = ["--json", "--query-address", "127.0.0.1:1", "accounts", "get", ADA.account_id]
    assert main(words) == 10 + 14
    error = only_error(capsys.readouterr().err)
    assert (error["code"], error["reason"], error["domain"]) == ("UNAVAILABLE", None, None)


def test_admin_under_json_points_to_techbank_admin_in_json(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["--json", "admin", "check"]) == 2
    error = only_error(capsys.readouterr().err)
    assert (
        error["message"] == "the operator's tools are `techbank-admin` (or `python -m admin`) now"
    )
