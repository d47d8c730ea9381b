"""Every e2e test runs on each stack (see harness/system.py).

TECHBANK_TEST_STACKS=embedded narrows a local run to one stack; `make test` runs both.
"""

import os
from collections.abc import Iterator

import pytest

from harness.system import System, running_system

STACKS = os.environ.get("TECHBANK_TEST_STACKS", "embedded,real").split(",")


@pytest.fixture(scope="session", params=STACKS)
def system(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[System]:
    with running_system(request.param, tmp_path_factory.mktemp(request.param)) as running:
        yield running
