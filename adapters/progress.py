"""How far an operator's long task is, on stderr: a bar redrawn in place when that is a
terminal, else a plain line now and then, so logs and pipes get lines and people get a bar."""

import sys
import time
from collections.abc import AsyncIterable, Callable
from typing import TextIO

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
