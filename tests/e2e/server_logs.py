"""What the system's servers have logged: a test that drives them with hostile input
expects an answer for every call and no trouble in any log (no traceback, no ERROR)."""

from collections.abc import Iterable
from pathlib import Path

from harness.processes import ServerProcess

# A traceback, or a line at level ERROR in the text format (or in JSON lines).
TROUBLE = ("Traceback", " ERROR ", '"level": "ERROR"')


class LogWatch:
    """Reads each process's log from where it stood when the watch began."""

    def __init__(self, processes: Iterable[ServerProcess]) -> None:
        self._read_to = {p.log_path: _size(p.log_path) for p in processes}

    def new_trouble(self) -> list[str]:
        """The troubled lines logged since the last call (or the watch began), each
        named by its log."""
        troubled = []
        for path, offset in self._read_to.items():
            with path.open("rb") as log:
                log.seek(offset)
                written = log.read()
            # Up to the last complete line: a line still being written is read next time.
            complete = written[: written.rfind(b"\n") + 1]
            self._read_to[path] = offset + len(complete)
            for line in complete.decode(errors="replace").splitlines():
                if any(sign in line for sign in TROUBLE):
                    troubled.append(f"{path.name}: {line}")
        return troubled


def _size(path: Path) -> int:
    return path.stat().st_size if path.exists() else 0
