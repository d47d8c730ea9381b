"""What an operator sees of a running system: Prometheus metrics from every process,
one trace from the RPC through the event on the bus into the projector, JSON logs."""

import json
import re
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest

from harness.system import System, running_system
from techbank.account.v1 import commands_pb2 as c
from tests.e2e.conftest import STACKS
from tests.e2e.helpers import TIMEOUT, open_account, read, scrape, value

COMMANDS = "techbank.account.v1.AccountCommandService"
QUERIES = "techbank.account.v1.AccountQueryService"


def test_every_process_serves_its_metrics(system: System) -> None:
    env = system.env
    account_id = open_account(system.commands, cents=5).account_id
    short = c.WithdrawFundsRequest(account_id=account_id, amount_cents=6)
    with pytest.raises(grpc.RpcError):
        system.commands.WithdrawFunds(short, timeout=TIMEOUT)
    read(system.queries, account_id, 1)

    commands = scrape(env["TECHBANK_COMMAND_METRICS_ADDRESS"])
    opened = value(
        commands, "techbank_rpc_requests_total", method=f"{COMMANDS}/OpenAccount", code="OK"
    )
    refused = value(
        commands,
        "techbank_rpc_requests_total",
        method=f"{COMMANDS}/WithdrawFunds",
        code="FAILED_PRECONDITION",
    )
    assert opened >= 1 and refused >= 1
    timed = value(commands, "techbank_rpc_duration_seconds_count", method=f"{COMMANDS}/OpenAccount")
    assert timed >= opened
    assert ("techbank_outbox_queued_events", frozenset()) in commands
    assert ("techbank_outbox_swept_events_total", frozenset()) in commands

    queries = scrape(env["TECHBANK_QUERY_METRICS_ADDRESS"])
    found = value(
        queries, "techbank_rpc_requests_total", method=f"{QUERIES}/FindAccountById", code="OK"
    )
    assert found >= 1

    projecting = (
        commands if system.name == "embedded" else scrape(env["TECHBANK_PROJECTOR_METRICS_ADDRESS"])
    )
    assert value(projecting, "techbank_projector_events_total") >= 1
    assert ("techbank_projector_lag_seconds", frozenset()) in projecting
    if system.name == "real":
        lags = [key for key in projecting if key[0] == "techbank_projector_consumer_lag_events"]
        assert lags, "no consumer lag per partition"


@pytest.fixture(scope="module", params=STACKS)
def traced(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[System]:
    """A system that writes its spans to its logs, and logs JSON lines."""
    extra = {"OTEL_TRACES_EXPORTER": "console", "TECHBANK_LOG_FORMAT": "json"}
    data = tmp_path_factory.mktemp(f"traced-{request.param}")
    with running_system(request.param, data, extra_env=extra) as running:
        yield running


def test_one_trace_runs_from_the_rpc_through_the_bus_into_the_projector(traced: System) -> None:
    trace_id = uuid.uuid4().hex
    parent = (("traceparent", f"00-{trace_id}-{uuid.uuid4().hex[:16]}-01"),)
    account_id = open_account(traced.commands).account_id
    deposit = c.DepositFundsRequest(account_id=account_id, amount_cents=7, request_id="traced")
    traced.commands.DepositFunds(deposit, metadata=parent, timeout=TIMEOUT)
    read(traced.queries, account_id, 2)
    projector = "command_server" if traced.name == "embedded" else "projector"
    rpc = wait_for_span(traced.process("command_server").log_path, f"{COMMANDS}/DepositFunds")
    assert (rpc["context"]["trace_id"], rpc["kind"]) == (f"0x{trace_id}", "SpanKind.SERVER")
    projected = wait_for_span(
        traced.process(projector).log_path, "project events", rpc["context"]["span_id"]
    )
    assert projected["kind"] == "SpanKind.CONSUMER"


def wait_for_span(log: Path, name: str, after: str = "", seconds: float = 10.0) -> dict[str, Any]:
    """The span `name` that the console exporter wrote to `log`; with `after` (a span id),
    the one whose parent it is or which links to it (a batch of several commands' events)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for span in spans_in(log.read_text(errors="replace")):
            linked = {link["context"]["span_id"] for link in span.get("links", [])}
            if span.get("name") == name and (not after or after in {span["parent_id"], *linked}):
                return span
        time.sleep(0.2)
    raise AssertionError(f"no span {name!r} after {after or 'anything'} in {log}")


def spans_in(text: str) -> Iterator[dict[str, Any]]:
    """The console exporter's spans: indented JSON objects, each opening with a line "{"."""
    for block in re.findall(r"^\{\n.*?^\}$", text, flags=re.S | re.M):
        try:
            yield json.loads(block)
        except ValueError:
            continue


@pytest.mark.stack_independent  # the log format; the same processes log on each stack
def test_logs_are_json_lines(traced: System) -> None:
    log = traced.process("query_server").log_path.read_text(errors="replace")
    lines = [line for line in log.splitlines() if line.startswith('{"time"')]
    assert lines, log[-2000:]
    for line in lines:
        entry = json.loads(line)
        assert {"time", "level", "logger", "message"} <= entry.keys()
    assert any("serving" in json.loads(line)["message"] for line in lines)
