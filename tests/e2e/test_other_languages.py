"""Techbank from other languages, as their users would call it: a Node script that loads
the protos at run time (clients/node) and a Go program built on the code protoc-gen-go
generates (clients/go), both installed by `make tools`. Each runs five steps against the
system and prints one JSON object per step: open, deposit, a withdrawal with a stale
expected_version (its reason read from the google.rpc.Status trailer), a read of its own
write, and the whole FindAllAccounts stream in pages of two."""

import json
import shutil
import subprocess
from typing import Any

import grpc
import pytest

from harness.processes import REPO
from harness.system import System
from tests.e2e.helpers import open_account, read

NODE_SCRIPT = REPO / "clients" / "node" / "example.mjs"
GO_PROGRAM = REPO / ".tools" / "bin" / "techbank-example"
STEPS = ["open", "deposit", "stale", "read", "all"]


@pytest.fixture(params=["node", "go"])
def client(request: pytest.FixtureRequest) -> list[str]:
    """The command line that runs the example client of one language."""
    if request.param == "go":
        assert GO_PROGRAM.exists(), f"{GO_PROGRAM} is missing: `make tools` builds it"
        return [str(GO_PROGRAM)]
    node = shutil.which("node")
    assert node is not None, "node is not on the PATH"
    modules = NODE_SCRIPT.parent / "node_modules"
    assert modules.exists(), f"{modules} is missing: `make tools` installs it"
    return [node, str(NODE_SCRIPT)]


def run_steps(client: list[str], system: System) -> dict[str, dict[str, Any]]:
    """Each step's JSON object, by step name; the client must exit 0 after all five."""
    done = subprocess.run(
        [*client, system.env["TECHBANK_COMMAND_ADDRESS"], system.env["TECHBANK_QUERY_ADDRESS"]],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    steps = [json.loads(line) for line in done.stdout.splitlines()]
    assert [step["step"] for step in steps] == STEPS, done.stdout
    return {step["step"]: step for step in steps}


@pytest.mark.stack_independent  # the clients' side; the servers': test_commands_and_queries
def test_a_client_in_another_language_runs_every_step(system: System, client: list[str]) -> None:
    for _ in range(2):  # with the client's own, enough accounts for two pages of two
        open_account(system.commands)
    steps = run_steps(client, system)
    account_id = steps["open"]["accountId"]
    deposited = steps["deposit"]["amountCents"]
    assert steps["open"] == {"step": "open", "accountId": account_id, "version": "1"}
    assert steps["deposit"] == {"step": "deposit", "amountCents": deposited, "version": "2"}
    assert steps["stale"] == {
        "step": "stale",
        "code": grpc.StatusCode.ABORTED.value[0],
        "reason": "VERSION_MISMATCH",
        "domain": "techbank.account.v1",
    }
    assert steps["read"] == {
        "step": "read",
        "accountId": account_id,
        "balanceCents": deposited,
        "version": "2",
    }
    listed = steps["all"]
    assert (listed["sawOurs"], listed["count"] >= 3, listed["pages"] >= 2) == (True, True, True)
    assert read(system.queries, account_id, min_version=2).balance_cents == int(deposited) > 0
