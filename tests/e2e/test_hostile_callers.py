"""Issue 22: no client input reaches INTERNAL. A stateful property test over every RPC of
both servers: hostile callers (tests/e2e/hostile_commands.py, _history.py, _queries.py) send
ids of the other aggregate type, unknown and malformed ids, edited and borrowed page
tokens, amounts, versions, page sizes and moments at and beyond every bound, request ids
sent again, and text no form expects; every answer is checked against the bank's model
(tests/e2e/bank_rules.py), and no server may log a traceback or an ERROR line.

The system runs for this test alone: a failure here may leave it broken (money in
flight, a stalled projection), and no other test should pay for that. For the same
reason no example is shrunk: shrinking replays steps on a system an earlier failure may
have changed, and takes minutes; the failing step's message names the RPC, the request
and the answer.
"""

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis.stateful import run_state_machine_as_test

from harness.system import System, running_system
from tests.e2e.conftest import STACKS
from tests.e2e.hostile_commands import CommandRules
from tests.e2e.hostile_history import HistoryRules
from tests.e2e.hostile_queries import QueryRules

# Examples and steps on each stack: 1,200 calls, measured on a 2-core machine at about
# 20 s a stack (suite time is budgeted: docs/testing.md).
EXAMPLES, STEPS = 40, 30


class HostileCallers(CommandRules, HistoryRules, QueryRules):
    """Every RPC of the command and query servers, as a hostile client calls them."""


@pytest.fixture(scope="module", params=STACKS)
def hostile_system(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[System]:
    data = tmp_path_factory.mktemp(f"hostile-{request.param}")
    with running_system(request.param, data) as running:
        yield running


def test_no_hostile_call_answers_internal_or_logs_a_traceback(hostile_system: System) -> None:
    class OnThisSystem(HostileCallers):
        def __init__(self) -> None:
            super().__init__(hostile_system)

    run_state_machine_as_test(
        OnThisSystem,
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=STEPS,
            deadline=None,
            phases=[Phase.explicit, Phase.reuse, Phase.generate],
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
