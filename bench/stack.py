"""The system under test as real processes, started exactly as the e2e tests start it
(harness/system.py): scratch databases and a scratch Kafka topic on the real
stack, SQLite files in a folder of their own on the embedded one.

Unlike the tests, the servers are stopped with SIGTERM and must exit cleanly.
"""

import asyncio
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench import infra
from harness.processes import ServerProcess
from harness.system import stack_env, stack_processes

STACKS = ("embedded", "real")
LOG_LEVELS = (" WARNING ", " ERROR ", " CRITICAL ")


@dataclass
class RunningStack:
    name: str
    env: dict[str, str]
    processes: list[ServerProcess]

    @property
    def command_address(self) -> str:
        return self.env["TECHBANK_COMMAND_ADDRESS"]

    @property
    def query_address(self) -> str:
        return self.env["TECHBANK_QUERY_ADDRESS"]

    def pids(self) -> dict[str, int]:
        """Each server's pid by module name; on the real stack the infra servers' too."""
        ours = {p.role: p.process.pid for p in self.processes if p.process is not None}
        return ours | (infra.pids() if self.name == "real" else {})

    async def logged(self, module: str, text: str) -> None:
        """Wait until the process running `module` has logged `text` (a caller bounds it)."""
        process = next(p for p in self.processes if p.role == module)
        # Another process writes the file: nothing here could set an Event for it.
        while text not in process.log_path.read_text(errors="replace"):  # noqa: ASYNC110
            await asyncio.sleep(0.5)

    def log_problems(self) -> dict[str, list[str]]:
        """The WARNING, ERROR and CRITICAL lines each server has logged so far, by module."""
        return {
            p.role: [
                line
                for line in p.log_path.read_text(errors="replace").splitlines()
                if any(level in line for level in LOG_LEVELS)
            ]
            for p in self.processes
        }


@contextmanager
def running_stack(
    name: str, prepare: Callable[[dict[str, str]], None] | None = None
) -> Iterator[RunningStack]:
    """Start the stack's processes, yield them serving, then stop them and remove their data.

    `prepare(env)`, if given, runs once the stack's stores exist and before its processes
    start (to fill the stores, say).

    Scratch databases and topic are removed in any case; the folder with the SQLite files
    and the servers' logs only after a clean stop, so that a failure can be looked into.
    """
    data_dir = Path(tempfile.mkdtemp(prefix=f"bench-{name}-"))
    with ExitStack() as scratch:
        env = stack_env(name, data_dir, scratch, prefix="bench")
        if prepare is not None:
            prepare(env)
        processes = stack_processes(name, env, data_dir)
        for process in processes:
            scratch.callback(process.kill)  # runs before the scratch data is removed
        for process in processes:
            process.start()
        yield RunningStack(name, env, processes)
        for process in reversed(processes):
            if process.stop() != 0:
                raise RuntimeError(f"{process.module} exited badly:\n{process.log_tail()}")
    shutil.rmtree(data_dir)  # kept, with the servers' logs, when anything above failed
