"""Tools that know Techbank from reflection alone: the real grpcurl (installed by
`make tools` from the Go module proxy) lists, describes and calls, with the protos'
comments and no proto file at hand; both reflection versions answer."""

import json
import subprocess
from pathlib import Path
from typing import Any

import grpc
import pytest
from grpc_reflection.v1alpha import reflection_pb2 as r

from harness.processes import REPO
from harness.system import System
from tests.e2e.helpers import refusal_of

# Reflection and the error details grpcurl decodes: the gRPC layer both stacks share.
pytestmark = pytest.mark.stack_independent

GRPCURL = REPO / ".tools" / "bin" / "grpcurl"
COMMANDS = "techbank.account.v1.AccountCommandService"


@pytest.fixture(scope="module")
def grpcurl() -> Path:
    assert GRPCURL.exists(), f"{GRPCURL} is missing: `make tools` installs it"
    return GRPCURL


def run(grpcurl: Path, address: str, *words: str, flags: tuple[str, ...] = ()) -> str:
    """`grpcurl -plaintext [flags] address words...`, which must succeed; its output."""
    done = subprocess.run(
        [str(grpcurl), "-plaintext", *flags, address, *words],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_grpcurl_lists_every_service(system: System, grpcurl: Path) -> None:
    listed = run(grpcurl, system.env["TECHBANK_COMMAND_ADDRESS"], "list").split()
    assert {COMMANDS, "grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection"} <= set(listed)
    queries = run(grpcurl, system.env["TECHBANK_QUERY_ADDRESS"], "list").split()
    assert "techbank.account.v1.AccountQueryService" in queries


@pytest.mark.parametrize(
    ("symbol", "shown"),
    [
        (COMMANDS, "// The write side: every command becomes an event in the event store."),
        (f"{COMMANDS}.DepositFunds", "rpc DepositFunds ( .techbank.account.v1.DepositFunds"),
        ("techbank.account.v1.DepositFundsRequest", "optional int64 expected_version = 3;"),
        ("techbank.account.v1.DepositFundsRequest", "// Greater than zero."),
    ],
)
def test_grpcurl_describes_services_methods_and_messages_with_their_comments(
    system: System, grpcurl: Path, symbol: str, shown: str
) -> None:
    described = run(grpcurl, system.env["TECHBANK_COMMAND_ADDRESS"], "describe", symbol)
    assert shown in described, described


def test_grpcurl_calls_by_reflection(system: System, grpcurl: Path) -> None:
    request = json.dumps({"holder": "Grace", "account_type": "ACCOUNT_TYPE_SAVINGS"})
    address = system.env["TECHBANK_COMMAND_ADDRESS"]
    answer = json.loads(run(grpcurl, address, f"{COMMANDS}/OpenAccount", flags=("-d", request)))
    assert answer["version"] == "1" and len(answer["accountId"]) == 36


def test_grpcurl_decodes_the_error_details_by_reflection(system: System, grpcurl: Path) -> None:
    request = json.dumps({"account_id": "x", "amount_cents": 0})
    address = system.env["TECHBANK_COMMAND_ADDRESS"]
    refused = subprocess.run(
        [str(grpcurl), "-plaintext", "-d", request, address, f"{COMMANDS}/DepositFunds"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert refused.returncode != 0
    assert '"reason": "INVALID_ARGUMENT"' in refused.stderr, refused.stderr
    assert '"field": "amount_cents"' in refused.stderr, refused.stderr
    assert "not recognized" not in refused.stderr


@pytest.mark.parametrize("version", ["v1", "v1alpha"])
def test_both_reflection_versions_answer(system: System, version: str) -> None:
    method = f"/grpc.reflection.{version}.ServerReflection/ServerReflectionInfo"
    with grpc.insecure_channel(system.env["TECHBANK_QUERY_ADDRESS"]) as channel:
        call = channel.stream_stream(
            method,
            request_serializer=r.ServerReflectionRequest.SerializeToString,
            response_deserializer=r.ServerReflectionResponse.FromString,
        )
        asked = r.ServerReflectionRequest(
            file_containing_symbol="techbank.account.v1.AccountQueryService.FindAccountById"
        )
        (answer,) = list(call(iter([asked]), timeout=10))
    assert answer.WhichOneof("message_response") == "file_descriptor_response"


def test_bad_bytes_to_reflection_are_bad_input(system: System) -> None:
    log = system.process("query_server").log_path
    logged_before = len(log.read_bytes())
    with grpc.insecure_channel(system.env["TECHBANK_QUERY_ADDRESS"]) as channel:
        call: Any = channel.stream_stream(
            "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo"
        )
        bad = refusal_of(lambda: list(call(iter([b"\x0a\x05ab"]), timeout=10)))
    assert (bad.code, bad.reason) == (grpc.StatusCode.INVALID_ARGUMENT, "MALFORMED_REQUEST")
    assert log.read_bytes()[logged_before:] == b""
