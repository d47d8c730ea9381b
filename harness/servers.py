"""Stopping and starting the real servers from a test, to prove the system outlasts them."""

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager

from harness.processes import REPO

STACK = REPO / "infra" / "stack.sh"
TIMEOUT_SECONDS = 180


def server(action: str, name: str) -> None:
    """`infra/stack.sh up|down NAME`: kafka, mongo or mysql."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        raise RuntimeError(
            f"{action} {name} under pytest-xdist: other workers' tests use that server; "
            "mark the test `serial` (pytest.mark.serial) so that it runs alone"
        )
    subprocess.run(
        [str(STACK), action, name], check=True, timeout=TIMEOUT_SECONDS, capture_output=True
    )


@contextmanager
def server_down(name: str) -> Iterator[None]:
    """The server is stopped inside the block and running again after it, whatever happens."""
    server("down", name)
    try:
        yield
    finally:
        server("up", name)


@contextmanager
def mongo_backend_down() -> Iterator[None]:
    """FerretDB keeps running, but the PostgreSQL it stores everything in is stopped."""
    server("down", "postgres")
    try:
        yield
    finally:
        server("up", "mongo")
