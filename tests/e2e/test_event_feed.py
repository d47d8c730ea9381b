"""EventFeedService on both stacks, as a service that reacts to Techbank's events uses
it: from the start to the end, followed live while many clients write at once, resumed
from a position, filtered, refused when asked wrongly, and from grpcurl."""

import json
import subprocess
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import grpc
import pytest

from harness.processes import REPO
from harness.system import System
from techbank.account.v1 import commands_pb2, feed_pb2
from tests.e2e.helpers import TIMEOUT, expect_status, open_account

GRPCURL = REPO / ".tools" / "bin" / "grpcurl"
FEED = "techbank.account.v1.EventFeedService/FollowEvents"
Seen = tuple[str, int, str]  # (aggregate id, version, event type)


def to_end(system: System, **asked: Any) -> list[feed_pb2.FollowEventsResponse]:
    request = feed_pb2.FollowEventsRequest(stop_at_end=True, **asked)
    return list(system.feed.FollowEvents(request, timeout=TIMEOUT))


def seen(items: list[feed_pb2.FollowEventsResponse]) -> list[Seen]:
    return [
        (i.event.aggregate_id, i.event.version, i.event.event_type)
        for i in items
        if i.HasField("event")
    ]


def head_now(system: System) -> int:
    """The feed's last position: where a follower that filters out everything caught up."""
    return to_end(system, stream_id=str(uuid.uuid4()))[-1].position


def deposit(system: System, account_id: str, cents: int = 5) -> int:
    request = commands_pb2.DepositFundsRequest(
        account_id=account_id, amount_cents=cents, request_id=str(uuid.uuid4())
    )
    return int(system.commands.DepositFunds(request, timeout=TIMEOUT).version)


def test_the_feed_holds_an_accounts_events_in_order_then_says_it_caught_up(
    system: System,
) -> None:
    account_id = open_account(system.commands, cents=100).account_id
    for cents in (7, 9):
        deposit(system, account_id, cents)
    items = to_end(system, stream_id=account_id)
    assert seen(items) == [
        (account_id, 1, "AccountOpened"),
        (account_id, 2, "FundsDeposited"),
        (account_id, 3, "FundsDeposited"),
    ]
    events = [i.event for i in items if i.HasField("event")]
    assert events[0].account_opened.opening_balance_cents == 100
    assert [e.funds_deposited.amount_cents for e in events[1:]] == [7, 9]
    assert all(e.schema_version == 2 for e in events[1:])  # in the shape Kafka carries
    positions = [i.position for i in items]
    assert positions == sorted(positions) and positions[0] > 0
    assert items[-1].HasField("caught_up") and items[-1].position >= positions[-2]


def test_resuming_after_a_position_gives_exactly_what_came_after(system: System) -> None:
    account_id = open_account(system.commands).account_id
    for _ in range(4):
        deposit(system, account_id)
    items = [i for i in to_end(system, stream_id=account_id) if i.HasField("event")]
    after = to_end(system, stream_id=account_id, after_position=items[1].position)
    assert seen(after) == seen(items)[2:]
    only = to_end(system, stream_id=account_id, event_types=["AccountOpened"])
    assert seen(only) == [(account_id, 1, "AccountOpened")]


def test_a_live_follower_misses_nothing_while_many_clients_write(system: System) -> None:
    """Sixteen clients deposit at once into a few accounts; a follower started before
    them gets each acknowledged deposit once, each account's versions in order."""
    accounts = [open_account(system.commands).account_id for _ in range(4)]
    start = head_now(system)
    call = system.feed.FollowEvents(feed_pb2.FollowEventsRequest(after_position=start))
    got: list[Seen] = []
    mine = set(accounts)
    acknowledged: set[tuple[str, int]] = set()

    def follow() -> None:
        try:
            for item in call:
                if item.HasField("event") and item.event.aggregate_id in mine:
                    got.append(seen([item])[0])
        except grpc.RpcError as error:
            ended.append(error)

    ended: list[grpc.RpcError] = []
    following = threading.Thread(target=follow)
    following.start()
    with ThreadPoolExecutor(16) as pool:
        for account_id, version in pool.map(
            lambda n: (accounts[n % 4], deposit(system, accounts[n % 4])), range(400)
        ):
            acknowledged.add((account_id, version))
    wait(lambda: len(got) >= len(acknowledged) or bool(ended), TIMEOUT * 3)
    call.cancel()
    following.join(TIMEOUT)
    assert [e.code() for e in ended] == [grpc.StatusCode.CANCELLED], ended
    assert sorted((a, v) for a, v, _ in got) == sorted(acknowledged)
    for account_id in accounts:
        versions = [v for a, v, _ in got if a == account_id]
        assert versions == list(range(2, 2 + len(versions)))


def wait(done: Callable[[], bool], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not done():
        assert time.monotonic() < deadline, "the follower did not get every event in time"
        time.sleep(0.05)


@pytest.mark.parametrize(
    ("asked", "named"),
    [
        ({"after_position": -1}, "after_position must be 0 or more"),
        ({"stream_id": "not-an-id"}, "stream_id must be a UUID"),
        ({"event_types": ["Bogus"]}, "no event type 'Bogus'"),
    ],
)
def test_a_wrong_request_is_refused_with_what_is_wrong(
    system: System, asked: dict[str, Any], named: str
) -> None:
    expect_status(lambda: to_end(system, **asked), grpc.StatusCode.INVALID_ARGUMENT, named)


def test_grpcurl_reads_the_feed(system: System) -> None:
    assert GRPCURL.exists(), f"{GRPCURL} is missing: `make tools` installs it"
    account_id = open_account(system.commands, holder="Feed Reader").account_id
    request = json.dumps({"stream_id": account_id, "stop_at_end": True})
    address = system.env["TECHBANK_COMMAND_ADDRESS"]
    done = subprocess.run(
        [str(GRPCURL), "-plaintext", "-d", request, address, FEED],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    messages = [json.loads(m) for m in done.stdout.replace("}\n{", "}\x00{").split("\x00")]
    assert messages[0]["event"]["accountOpened"]["holder"] == "Feed Reader"
    assert messages[0]["event"]["aggregateId"] == account_id
    assert "caughtUp" in messages[-1]


@pytest.mark.parametrize(
    "asked",
    [
        {"stream_id": str(uuid.uuid4())},  # no such stream: nothing, then the end
        {"event_types": ["FundsDeposited"] * 1_000},  # more than 64 KiB: RESOURCE_EXHAUSTED
    ],
)
def test_bounds_and_odd_filters_answer_calmly(system: System, asked: dict[str, Any]) -> None:
    items = to_end(system, **asked)
    assert items[-1].HasField("caught_up")


@pytest.mark.parametrize("beyond", [1, 2**63 - 1 - 10**6])
def test_a_position_past_the_end_is_refused_not_caught_up_to(system: System, beyond: int) -> None:
    """A consumer that stored such a position would skip every event up to it."""
    past = head_now(system) + beyond
    named = f"after_position {past} is past the end of the feed"
    expect_status(
        lambda: to_end(system, after_position=past), grpc.StatusCode.INVALID_ARGUMENT, named
    )


def test_a_stream_id_with_a_control_character_is_refused(system: System) -> None:
    named = "stream_id must be a UUID"
    expect_status(
        lambda: to_end(system, stream_id="\x00" * 40), grpc.StatusCode.INVALID_ARGUMENT, named
    )
