"""The operator's tools' progress on stderr: a bar on a terminal, a line now and then on a pipe."""

import io

from adapters.command_line import Progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_on_a_terminal_a_bar_is_redrawn_in_place() -> None:
    terminal, clock = Terminal(), Clock()
    progress = Progress("restore", 4, stream=terminal, clock=clock)
    clock.now = 1.0
    progress.update(2, ", 7 events")
    clock.now = 1.01
    progress.update(3, ", 9 events")  # too soon to redraw
    progress.finish()
    frames = terminal.getvalue().split("\r")[1:]
    assert frames == [
        f"restore [{'.' * 30}]   0% 0/4 accounts\x1b[K",
        f"restore [{'#' * 15}{'.' * 15}]  50% 2/4 accounts, 7 events\x1b[K",
        f"restore [{'#' * 22}{'.' * 8}]  75% 3/4 accounts, 9 events\x1b[K\n",
    ]


def test_elsewhere_a_line_now_and_then_and_always_the_last() -> None:
    pipe, clock = io.StringIO(), Clock()
    progress = Progress("check", 3000, stream=pipe, clock=clock)
    for done in range(1, 3001):
        clock.now = done / 1000  # three seconds in all
        progress.update(done)
    progress.finish()
    assert pipe.getvalue().splitlines() == [
        "check: 0/3000 accounts",
        "check: 1000/3000 accounts",
        "check: 2000/3000 accounts",
        "check: 3000/3000 accounts",
    ]


def test_more_done_than_expected_fills_the_bar_and_no_more() -> None:
    terminal = Terminal()
    progress = Progress("check", 2, stream=terminal)
    progress.update(3)
    progress.finish()
    assert terminal.getvalue().endswith(f"check [{'#' * 30}] 100% 3/2 accounts\x1b[K\n")
