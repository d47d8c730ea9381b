"""Fault tests run on the real stack only, each on a system of its own."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.system import System, running_system


@pytest.fixture
def real_system(tmp_path: Path) -> Iterator[System]:
    with running_system("real", tmp_path) as running:
        yield running
