"""How every `python -m` entry point starts, servers and operator's tools alike.

Its command line is read before anything else, so that `--help` (usage, under the name
it is run by, and its module's whole docstring) and a wrong flag (exit 2) open no store
and bind no port. Then a configuration error (adapters.settings.ConfigurationError) stops
it with one line on stderr, `<prog>: <what is wrong, naming the setting>`, and exit
status MISCONFIGURED: the fix is in the environment, so no traceback is shown. A
process stops on SIGTERM (an orchestrator) or SIGINT (Ctrl-C).

How far an operator's long task is goes to stderr (Progress): a bar redrawn in place when that is a
terminal, else a plain line now and then, so logs and pipes get lines and people get a bar.
"""

import argparse
import asyncio
import contextlib
import re
import signal
import sys
import time
from collections.abc import AsyncIterable, Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn, TextIO

from adapters.settings import ConfigurationError

OPENING_NAMES = re.compile(r"^`[^`]+`( \(or `[^`]+`\))?: ")  # a tool's names, in its docstring

# As argparse's for a wrong flag: the process cannot start as it was asked to, and
# starting it again unchanged will not help (a supervisor need not restart it at once).
MISCONFIGURED = 2


def parser_for(prog: str, doc: str | None) -> argparse.ArgumentParser:
    """A parser that calls itself `prog` and describes itself by `doc`, shown as written."""
    return argparse.ArgumentParser(
        prog=prog, description=doc, formatter_class=argparse.RawDescriptionHelpFormatter
    )


def exit_status(prog: str, start: Callable[[], int | None]) -> int:
    """`start()`'s exit status (None: 0), or MISCONFIGURED after one line saying why."""
    try:
        return start() or 0
    except ConfigurationError as error:
        print(f"{prog}: {error}", file=sys.stderr)
        return MISCONFIGURED


def run_server(module: str, doc: str | None, start: Callable[[], None]) -> NoReturn:
    """`python -m <module>` of a server: no arguments but --help, then `start()`."""
    parser = parser_for(f"python -m {module}", doc)
    parser.parse_args()
    sys.exit(exit_status(parser.prog, start))


@dataclass(frozen=True)
class Tool:
    """An operator's command, run alike as `python -m <module>` and `techbank-admin <name>`
    (the admin package lists them): one implementation, two names."""

    name: str
    module: str
    doc: str | None
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], Coroutine[Any, Any, int]]

    @property
    def summary(self) -> str:
        """The docstring's first paragraph, without the names that open it ("`python -m
        x` (or `techbank-admin y`): ")."""
        first = " ".join((self.doc or self.name).strip().split("\n\n")[0].split())
        return OPENING_NAMES.sub("", first)

    def add_to(self, commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
        """Add this tool as a subcommand of `commands` (the admin's)."""
        parser = commands.add_parser(
            self.name,
            help=self.summary,
            description=self.doc,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        self.add_arguments(parser)
        parser.set_defaults(tool=self)

    def started(self, prog: str, args: argparse.Namespace) -> int:
        return exit_status(prog, lambda: asyncio.run(self.run(args)))

    def main(self, argv: Sequence[str] | None = None) -> int:
        """`python -m <module> ARGS`: the tool's exit status."""
        parser = parser_for(f"python -m {self.module}", self.doc)
        self.add_arguments(parser)
        return self.started(parser.prog, parser.parse_args(argv))


def stop_requested() -> asyncio.Event:
    """An event set when SIGTERM or SIGINT arrives; call from within the running loop."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    return stop


async def unless_stopped(stop: asyncio.Event, work: Callable[[], Awaitable[None]]) -> bool:
    """Whether `work()` returned before `stop` was set (it is cancelled then); what it
    raises is raised."""
    working = asyncio.ensure_future(work())
    stopping = asyncio.ensure_future(stop.wait())
    await asyncio.wait({working, stopping}, return_when=asyncio.FIRST_COMPLETED)
    stopping.cancel()
    if not working.done():
        working.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await working
        return False
    working.result()
    return True


async def run_until_stopped(
    work: Callable[[asyncio.Event], Coroutine[Any, Any, None]], grace_seconds: float
) -> None:
    """Run `work(stop)` until it returns; once SIGTERM or SIGINT arrives, give it
    `grace_seconds` to finish on its own (it sees `stop` set), then cancel it, wherever
    it is: starting up, waiting for a store, or between batches."""
    stop = stop_requested()
    task = asyncio.create_task(work(stop))
    stopping = asyncio.create_task(stop.wait())
    await asyncio.wait({task, stopping}, return_when=asyncio.FIRST_COMPLETED)
    stopping.cancel()
    if not task.done():
        await asyncio.wait({task}, timeout=grace_seconds)
    if not task.done():
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        return
    task.result()  # its failure, if it failed


BAR_WIDTH = 30
REDRAW_SECONDS = 0.1


class Progress:
    """`done` of `total` `unit`s of `task`; finish() always shows where it ended."""

    def __init__(
        self,
        task: str,
        total: int,
        unit: str = "accounts",
        *,
        stream: TextIO | None = None,
        line_every_seconds: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.task, self.total, self.unit = task, total, unit
        self.stream = stream or sys.stderr
        self.on_terminal = self.stream.isatty()
        self.every = REDRAW_SECONDS if self.on_terminal else line_every_seconds
        self.clock = clock
        self.done, self.note = 0, ""
        self._shown_at = float("-inf")
        self._last = ""
        self.update(0)

    def update(self, done: int, note: str = "") -> None:
        """`done` so far; `note` adds to the line (", 30 events")."""
        self.done, self.note = done, note
        if self.clock() - self._shown_at >= self.every:
            self._show()

    def finish(self) -> None:
        self._show()
        if self.on_terminal:
            self.stream.write("\n")
            self.stream.flush()

    def _show(self) -> None:
        self._shown_at = self.clock()
        text = self.text()
        if self.on_terminal:
            self.stream.write(f"\r{text}\x1b[K")
        elif text != self._last:
            self.stream.write(f"{text}\n")
        self._last = text
        self.stream.flush()

    def text(self) -> str:
        counts = f"{self.done}/{self.total} {self.unit}{self.note}"
        if not self.on_terminal:
            return f"{self.task}: {counts}"
        filled = min(BAR_WIDTH, self.done * BAR_WIDTH // self.total) if self.total else BAR_WIDTH
        percent = min(100, self.done * 100 // self.total) if self.total else 100
        bar = "#" * filled + "." * (BAR_WIDTH - filled)
        return f"{self.task} [{bar}] {percent:3d}% {counts}"


async def counted(items: AsyncIterable[object]) -> int:
    """How many `items` there are (a bar's total: the accounts a store knows now)."""
    count = 0
    async for _ in items:
        count += 1
    return count
