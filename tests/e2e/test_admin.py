"""`techbank-admin` (here `python -m admin`) on a running system's stores: check and
restore, with their progress on stderr (a bar on a terminal) and their JSON output."""

import json
import os
import pty
import re
import subprocess
import sys
from typing import Any

import pytest

from harness.processes import REPO
from harness.system import System
from tests.e2e.helpers import open_account, read


def admin(system: System, *args: str, stderr: Any = subprocess.PIPE) -> "Ran":
    ran = subprocess.run(
        [sys.executable, "-m", "admin", *args],
        cwd=REPO,
        env={**os.environ, **system.env},
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
        timeout=120,
        check=False,
    )
    return Ran(ran.returncode, ran.stdout, ran.stderr or "")


class Ran:
    def __init__(self, status: int, out: str, err: str) -> None:
        self.status, self.out, self.err = status, out, err

    def ok(self) -> "Ran":
        assert self.status == 0, self.err
        assert "Traceback" not in self.err
        return self


# The output only; check and restore on each stack: test_restore_and_check.
@pytest.mark.stack_independent
def test_check_and_restore_show_their_progress(system: System) -> None:
    read(system.queries, open_account(system.commands, "Admin", 100).account_id, 1)
    checked = admin(system, "check", "--settle-seconds", "10").ok()
    assert checked.out.endswith("check: 0 account(s) differ from the event store\n")
    assert re.search(r"^check: (\d+)/\1 accounts$", checked.err, re.MULTILINE), checked.err
    restored = json.loads(admin(system, "restore", "--json").ok().out)
    assert restored["accounts"] > 0 and restored["events"] >= restored["accounts"]
    found = json.loads(admin(system, "check", "--json", "--settle-seconds", "10").ok().out)
    assert found["differences"] == [] and found["accounts"] >= restored["accounts"]


@pytest.mark.stack_independent
def test_check_draws_a_bar_on_a_terminal(system: System) -> None:
    terminal, attached = pty.openpty()
    try:
        checked = admin(system, "check", "--settle-seconds", "10", stderr=attached)
    finally:
        os.close(attached)
    try:
        drawn = os.read(terminal, 65536).decode()
    finally:
        os.close(terminal)
    assert checked.status == 0, drawn
    assert re.search(r"\rcheck \[#{30}\] 100% (\d+)/\1 accounts", drawn), drawn
