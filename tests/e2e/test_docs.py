"""Docs that run: every example of the README and of the pages below is run as pasted,
in order, in one shell, against a running system, and what it prints is compared with
what the page shows (tests/e2e/doc_outputs.py says how: ids and times may differ, the
rest may not). A page's blocks and their steps: tests/e2e/doc_examples.py.

Each page runs on a system of its own, started fresh, as each page is written for a
fresh `make run` (lists, holders and pages depend on which accounts exist): the
embedded stack, which is what `make run` starts. Every behaviour the pages show is
tested on both stacks by the rest of tests/e2e; a page on a fresh real stack would cost
about twice as long again for little more. The pages' `make run` addresses are replaced
by the system's; grpcurl is not on the shell's PATH unless the page puts it there;
`techbank` and `techbank-admin`, which `pip install .` would install, are. Reads are
eventually consistent: a step that only reads is asked again until it matches, for up
to 10 s.
"""

import os
import re
import sys
import time
from pathlib import Path

import pytest

from harness.processes import REPO
from harness.system import System, running_system
from tests.e2e.doc_examples import Step, examples_of
from tests.e2e.doc_outputs import Ids, Mismatch, check
from tests.e2e.doc_shell import Shell

PAGES = ["README.md", "docs/api.md", "docs/clients.md", "docs/operations.md"]
READS = re.compile(r"AccountQueryService/|techbank (--json )?accounts (get|find|list|statement)")
READ_PATIENCE = 10.0
STEP_TIMEOUT = 60.0


@pytest.mark.parametrize("page", PAGES)
def test_every_example_runs_as_pasted_and_prints_what_the_page_shows(
    page: str, tmp_path: Path
) -> None:
    steps = examples_of(REPO / page)
    assert steps, f"{page} has no example to run"
    (tmp_path / "data").mkdir()
    with (
        running_system("embedded", tmp_path / "data") as system,
        Shell(terminal_env(system, tmp_path), tmp_path) as shell,
    ):
        ids = Ids()
        for step in steps:
            run_step(shell, step, system, ids, tmp_path)


def run_step(shell: Shell, step: Step, system: System, ids: Ids, scratch: Path) -> None:
    command = on_system(step.command, system)
    if step.language == "python":
        program = scratch / "example.py"
        program.write_text(command)
        command = f'"{sys.executable}" "{program}"'
    patience = READ_PATIENCE if READS.search(command) else 0.0
    deadline = time.monotonic() + patience
    while True:
        status, printed = shell.run(command, STEP_TIMEOUT)
        try:
            assert "Traceback" not in printed, "a traceback"
            check(step.expected, status, printed, ids)
            return
        except (Mismatch, AssertionError) as mismatch:
            if time.monotonic() >= deadline:
                shown = f"{step.where}:\n{step.command}\n{mismatch}\nIt printed:\n{printed}"
                raise AssertionError(shown) from None
            time.sleep(0.2)


def on_system(text: str, system: System) -> str:
    """`text` with `make run`'s addresses replaced by the running system's."""
    for port, name in (("50051", "TECHBANK_COMMAND_ADDRESS"), ("50052", "TECHBANK_QUERY_ADDRESS")):
        text = re.sub(rf"\b(127\.0\.0\.1|localhost):{port}\b", system.env[name], text)
    return text


def terminal_env(system: System, scratch: Path) -> dict[str, str]:
    """A reader's environment beside the system: its settings, the installed commands,
    and a PATH without the repository's tools."""
    commands = scratch / "bin"
    commands.mkdir()
    for name, module in (("techbank", "techbank_client"), ("techbank-admin", "admin")):
        shim = commands / name
        shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m {module} "$@"\n')
        shim.chmod(0o755)
    path = [p for p in os.environ["PATH"].split(":") if not p.rstrip("/").endswith(".tools/bin")]
    return {**os.environ, **system.env, "PATH": ":".join([str(commands), *path])}
