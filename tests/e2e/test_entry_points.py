"""Every `python -m` entry point reads its command line before it touches anything: --help
prints its usage, under the name it is run by, with its whole description, and exits 0;
an unknown flag exits 2; neither opens a store, serves or binds (the stores' URLs point
at SQLite files that must not appear)."""

import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from harness.processes import REPO, free_port

# Each entry point, and the module whose docstring is its description.
ENTRY_POINTS = {
    "projector.restore": "projector.restore",
    "projector.rebuild": "projector.rebuild",
    "projector.check": "projector.check",
    "command_server.ledger": "command_server.ledger",
    "embedded": "embedded.__main__",
    "command_server": "command_server.__main__",
    "query_server": "query_server.__main__",
    "projector": "projector.__main__",
    "devtools.credentials": "devtools.credentials",
    "admin": "admin",
    "admin restore": "projector.restore",
    "admin rebuild": "projector.rebuild",
    "admin check": "projector.check",
    "admin ledger": "command_server.ledger",
    "admin parked": "admin.parked",
    "admin.parked": "admin.parked",
}


def stores_in(tmp_path: Path) -> dict[str, str]:
    """Every store and address a process could use, in `tmp_path` (empty until one is)."""
    return {
        "TECHBANK_DATA_DIR": str(tmp_path / "data"),
        "TECHBANK_EVENT_STORE_URL": f"sqlite+aiosqlite:///{tmp_path}/events.db",
        "TECHBANK_READ_DB_URL": f"sqlite+aiosqlite:///{tmp_path}/read.db",
        "TECHBANK_QUERY_DB_URL": f"sqlite+aiosqlite:///{tmp_path}/read.db",
        "TECHBANK_COMMAND_ADDRESS": f"127.0.0.1:{free_port()}",
        "TECHBANK_QUERY_ADDRESS": f"127.0.0.1:{free_port()}",
    }


def run(entry_point: str, flag: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *entry_point.split(), flag],
        cwd=REPO,
        env={**os.environ, **stores_in(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,  # a server that ignored its command line would serve until killed
        check=False,
    )


def words(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("entry_point", ENTRY_POINTS)
def test_help_and_a_wrong_flag_touch_nothing(entry_point: str, tmp_path: Path) -> None:
    description = importlib.import_module(ENTRY_POINTS[entry_point]).__doc__
    assert description

    helped = run(entry_point, "--help", tmp_path)
    assert helped.returncode == 0, helped.stderr
    assert helped.stdout.startswith(f"usage: python -m {entry_point} "), helped.stdout
    assert words(description) in words(helped.stdout), helped.stdout

    refused = run(entry_point, "--bogus-flag", tmp_path)
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert ": error: " in refused.stderr, refused.stderr
    assert "Traceback" not in refused.stderr

    assert sorted(os.listdir(tmp_path)) == [], "a store was opened"


def test_admin_lists_each_operator_command(tmp_path: Path) -> None:
    helped = run("admin", "--help", tmp_path)
    assert helped.returncode == 0, helped.stderr
    for command in ("restore", "rebuild", "check", "ledger", "parked"):
        assert f"    {command} " in helped.stdout, helped.stdout
