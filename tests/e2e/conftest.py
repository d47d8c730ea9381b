"""Every e2e test runs on each stack (see harness/system.py), but a test marked
`stack_independent`: what it checks passes through nothing that differs between the
stacks (the gRPC edge, argument checks, error details, TLS and tokens, reflection, the
clients and the command line), so it runs on the first stack named only.

TECHBANK_TEST_STACKS=embedded narrows a local run to one stack (=real to the other);
`make test` runs both.
"""

import os
from collections.abc import Iterator

import pytest

from harness.system import System, running_system


class Stack(str):
    """A stack's name as a fixture's param, by which a test's stack is known (below)."""


STACKS = [
    Stack(name) for name in os.environ.get("TECHBANK_TEST_STACKS", "embedded,real").split(",")
]


@pytest.fixture(scope="session", params=STACKS)
def system(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[System]:
    with running_system(request.param, tmp_path_factory.mktemp(request.param)) as running:
        yield running


def on_a_later_stack(item: pytest.Item) -> bool:
    """Whether `item` is a stack-independent test's run on a stack after the first."""
    if item.get_closest_marker("stack_independent") is None:
        return False
    callspec = getattr(item, "callspec", None)
    params = callspec.params.values() if callspec is not None else []
    return any(isinstance(p, Stack) and p != STACKS[0] for p in params)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    later = [item for item in items if on_a_later_stack(item)]
    if later:
        config.hook.pytest_deselected(items=later)
        items[:] = [item for item in items if not on_a_later_stack(item)]
