"""Fault tests run on a system of their own each: the real stack, unless a test says so."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.system import System, running_system


@pytest.fixture
def real_system(tmp_path: Path) -> Iterator[System]:
    with running_system("real", tmp_path) as running:
        yield running
