"""EventFeedService from Node, as a service in another language consumes it: the protos
loaded at run time (clients/node/feed.mjs), an account's events read from the start,
resumed after a stored position, and followed live. feed.mjs prints one JSON line per
event and one per caught_up, int64s as strings, and exits 0 after the count asked.

Not marked stack_independent (test_other_languages is): what is checked here is the
feed's positions and its live following, which each stack's event store provides in its
own way (SQLite's in-transaction positions, MongoDB's sequencer, the head each follows)."""

import json
import queue
import shutil
import subprocess
import threading
import uuid
from typing import Any

import pytest

from harness.processes import REPO
from harness.system import System
from techbank.account.v1 import commands_pb2, feed_pb2
from tests.e2e.helpers import TIMEOUT, open_account

FEED_SCRIPT = REPO / "clients" / "node" / "feed.mjs"
LIVE_SECONDS = 30.0
Line = dict[str, Any]


@pytest.fixture
def node() -> str:
    node = shutil.which("node")
    assert node is not None, "node is not on the PATH"
    modules = FEED_SCRIPT.parent / "node_modules"
    assert modules.exists(), f"{modules} is missing: `make tools` installs it"
    return node


def command(node: str, system: System, after: int, count: int, stream_id: str) -> list[str]:
    address = system.env["TECHBANK_COMMAND_ADDRESS"]
    return [node, str(FEED_SCRIPT), address, str(after), str(count), stream_id]


def run_feed(node: str, system: System, after: int, count: int, stream_id: str) -> list[Line]:
    """What feed.mjs prints before it exits 0 after `count` events."""
    done = subprocess.run(
        command(node, system, after, count, stream_id),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def deposit(system: System, account_id: str, cents: int) -> int:
    request = commands_pb2.DepositFundsRequest(
        account_id=account_id, amount_cents=cents, request_id=str(uuid.uuid4())
    )
    return int(system.commands.DepositFunds(request, timeout=TIMEOUT).version)


def events_of(lines: list[Line]) -> list[Line]:
    return [line for line in lines if "caughtUp" not in line]


def position_of(line: Line) -> int:
    return int(line["caughtUp"] if "caughtUp" in line else line["position"])


def test_node_reads_an_accounts_events_from_the_start_then_resumes(
    system: System, node: str
) -> None:
    account_id = open_account(system.commands, cents=100).account_id
    amounts = [7, 9, 11]
    for cents in amounts:
        deposit(system, account_id, cents)
    lines = run_feed(node, system, after=0, count=4, stream_id=account_id)
    # All four were stored before the call: each comes before the end of the feed, so
    # before any caught_up.
    assert lines == events_of(lines), lines
    assert [(e["eventType"], e["version"]) for e in lines] == [
        ("AccountOpened", "1"),
        ("FundsDeposited", "2"),
        ("FundsDeposited", "3"),
        ("FundsDeposited", "4"),
    ]
    assert {e["aggregateId"] for e in lines} == {account_id}
    assert "amountCents" not in lines[0]  # AccountOpened's payload has no amount
    assert [e.get("amountCents") for e in lines[1:]] == [str(c) for c in amounts]
    positions = [int(e["position"]) for e in lines]
    assert positions == sorted(set(positions)) and positions[0] > 0
    assert len({uuid.UUID(e["eventId"]) for e in lines}) == 4
    # The same positions and events as a Python client reads.
    request = feed_pb2.FollowEventsRequest(stream_id=account_id, stop_at_end=True)
    python = [i for i in system.feed.FollowEvents(request, timeout=TIMEOUT) if i.HasField("event")]
    assert [(p.position, p.event.event_id) for p in python] == [
        (int(e["position"]), e["eventId"]) for e in lines
    ]

    # Restarted with the 2nd event's position stored: exactly the events after it.
    resumed = run_feed(node, system, after=positions[1], count=2, stream_id=account_id)
    assert resumed == lines[2:]


class Follower:
    """feed.mjs running, its lines read as they come."""

    def __init__(self, argv: list[str]) -> None:
        self.process = subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        self.lines: queue.Queue[Line] = queue.Queue()
        self.printed: list[Line] = []
        self._reading = threading.Thread(target=self._read, daemon=True)
        self._reading.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(json.loads(line))

    def next_line(self) -> Line:
        try:
            line = self.lines.get(timeout=LIVE_SECONDS)
        except queue.Empty:
            raise AssertionError(f"no line in {LIVE_SECONDS}s after {self.printed}") from None
        self.printed.append(line)
        return line

    def next_event(self) -> Line:
        """The next event line, past any caught_up (one for each time the feed's end
        is reached past other streams' events)."""
        while "caughtUp" in (line := self.next_line()):
            pass
        return line

    def exit_code(self) -> int:
        """feed.mjs's exit code, once it has exited on its own; its stderr if not 0."""
        code = self.process.wait(LIVE_SECONDS)
        self._reading.join(TIMEOUT)
        assert self.process.stderr is not None
        assert code == 0, self.process.stderr.read()
        return code

    def stop(self) -> None:
        if self.process.poll() is None:  # failed before it exited: end it
            self.process.kill()
        self.process.wait(TIMEOUT)


def test_node_follows_the_feed_live(system: System, node: str) -> None:
    account_id = open_account(system.commands).account_id
    follower = Follower(command(node, system, after=0, count=3, stream_id=account_id))
    try:
        opened = follower.next_line()
        assert (opened["eventType"], opened["version"]) == ("AccountOpened", "1"), opened
        caught_up = follower.next_line()  # the end of the feed, reached after the opening
        assert position_of(caught_up) >= int(opened["position"]), caught_up
        assert set(caught_up) == {"caughtUp"}, caught_up
        deposited = []
        for cents in (13, 17):  # each one stored while feed.mjs follows, and printed
            version = deposit(system, account_id, cents)
            event = follower.next_event()
            assert (event["eventType"], event["version"], event["amountCents"]) == (
                "FundsDeposited",
                str(version),
                str(cents),
            ), follower.printed
            deposited.append(event)
        assert follower.exit_code() == 0
    finally:
        follower.stop()
    assert [e["version"] for e in [opened, *deposited]] == ["1", "2", "3"]
    assert {e["aggregateId"] for e in [opened, *deposited]} == {account_id}
    positions = [position_of(line) for line in follower.printed]
    assert positions == sorted(positions), follower.printed
    assert follower.lines.empty(), "a line after the last event asked"
