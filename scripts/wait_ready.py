"""Waits until the projector has joined its consumer group and both servers report SERVING.

usage: wait_ready.py RUN_DIR COMMAND_ADDRESS QUERY_ADDRESS
"""

import sys
import time
from pathlib import Path

from adapters.grpc.health import is_serving

TIMEOUT_SECONDS = 60


def projector_assigned(run_dir: Path) -> bool:
    log = run_dir / "projector.log"
    return log.exists() and "assigned partitions" in log.read_text(errors="replace")


def main(run_dir: Path, command_address: str, query_address: str) -> int:
    deadline = time.monotonic() + TIMEOUT_SECONDS
    checks = {
        "projector": lambda: projector_assigned(run_dir),
        f"command server {command_address}": lambda: is_serving(command_address),
        f"query server {query_address}": lambda: is_serving(query_address),
    }
    while checks and time.monotonic() < deadline:
        checks = {name: ready for name, ready in checks.items() if not ready()}
        time.sleep(0.2)
    for name in checks:
        print(f"[services] {name} not ready after {TIMEOUT_SECONDS} s", file=sys.stderr)
    return 1 if checks else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), sys.argv[2], sys.argv[3]))
