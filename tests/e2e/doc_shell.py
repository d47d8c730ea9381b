"""A reader's terminal: one bash that runs a page's steps in turn, so that what one step
sets (`ACCOUNT=...`, `export PATH=...`) the next one has."""

import os
import select
import subprocess
from pathlib import Path

from harness.processes import REPO

DONE = "__step-done__ "


class Shell:
    def __init__(self, env: dict[str, str], scratch: Path) -> None:
        self.scratch = scratch
        self.bash = subprocess.Popen(
            ["bash", "--noprofile", "--norc"],
            cwd=REPO,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        self.pending = b""
        # A variable used before it is set, or a failure inside a pipe, fails the step.
        self.run("set -uo pipefail", 10)

    def __enter__(self) -> "Shell":
        return self

    def __exit__(self, *_: object) -> None:
        self.bash.kill()
        self.bash.wait()

    def run(self, command: str, timeout: float) -> tuple[int, str]:
        """Run `command` as pasted into this shell: its exit status, and what it printed
        (stdout and stderr, as a terminal shows them)."""
        script, printed = self.scratch / "step.sh", self.scratch / "printed"
        script.write_text(command + "\n")
        line = f'. "{script}" > "{printed}" 2>&1 < /dev/null; echo "{DONE}$?"\n'
        assert self.bash.stdin is not None
        try:
            self.bash.stdin.write(line.encode())
            self.bash.stdin.flush()
            status = int(self.read_line(timeout).removeprefix(DONE))
        except (BrokenPipeError, EOFError):
            shown = printed.read_text() if printed.exists() else ""
            raise AssertionError(f"the shell exited during:\n{command}\n{shown}") from None
        return status, printed.read_text()

    def read_line(self, timeout: float) -> str:
        assert self.bash.stdout is not None
        out = self.bash.stdout.fileno()
        while b"\n" not in self.pending:
            ready, _, _ = select.select([out], [], [], timeout)
            if not ready:
                raise AssertionError(f"a step ran for more than {timeout} s")
            chunk = os.read(out, 4096)
            if not chunk:
                raise EOFError
            self.pending += chunk
        line, _, self.pending = self.pending.partition(b"\n")
        return line.decode()
