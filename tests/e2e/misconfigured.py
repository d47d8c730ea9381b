"""Starting a process with a setting it cannot start with, and what it must answer: exit
status 2, no traceback, and one line on stderr, its last, `<prog>: <SETTING>...`."""

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from harness.processes import REPO, free_port

MISCONFIGURED = 2
# Long enough to start, short enough that a process which serves instead fails quickly.
STOPS_WITHIN_SECONDS = 30


def local_env(tmp_path: Path, **changes: str) -> dict[str, str]:
    """The embedded default in `tmp_path`, on ports of its own, with `changes`."""
    return {
        "TECHBANK_DATA_DIR": str(tmp_path),
        "TECHBANK_COMMAND_ADDRESS": f"127.0.0.1:{free_port()}",
        "TECHBANK_QUERY_ADDRESS": f"127.0.0.1:{free_port()}",
        **changes,
    }


def started(module: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`python -m <module>` with `env` (and nothing of the caller's TECHBANK_*), run until
    it exits: a process that serves instead times out."""
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("TECHBANK_")}
    return subprocess.run(
        [sys.executable, "-m", module],
        cwd=REPO,
        env={**inherited, **env},
        capture_output=True,
        text=True,
        timeout=STOPS_WITHIN_SECONDS,
        check=False,
    )


def refusal(ran: subprocess.CompletedProcess[str], module: str, setting: str) -> str:
    """The one line that says why `module` would not start; asserts it is the only line
    naming `setting`, the last one, and that nothing else went wrong."""
    assert ran.returncode == MISCONFIGURED, ran.stderr
    assert "Traceback" not in ran.stderr, ran.stderr
    lines = ran.stderr.splitlines()
    assert lines, "nothing said"
    assert lines[-1].startswith(f"python -m {module}: {setting}"), ran.stderr
    assert [line for line in lines if setting in line] == [lines[-1]], ran.stderr
    return lines[-1]


@contextmanager
def port_in_use() -> Iterator[str]:
    """An address another process listens on."""
    with socket.create_server(("127.0.0.1", 0)) as held:
        yield f"127.0.0.1:{held.getsockname()[1]}"
