"""Bytes that are not a valid request are bad input, on every RPC, and cost no log."""

from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from google.protobuf.descriptor import FieldDescriptor
from grpc_health.v1 import health_pb2

from harness.system import System
from techbank.account.v1 import commands_pb2, queries_pb2
from tests.e2e.helpers import TIMEOUT

# Bytes no message decodes from are refused at the gRPC edge, before any handler.
pytestmark = pytest.mark.stack_independent

COMMANDS = commands_pb2.DESCRIPTOR.services_by_name["AccountCommandService"]
QUERIES = queries_pb2.DESCRIPTOR.services_by_name["AccountQueryService"]
RPCS = [(COMMANDS, m) for m in COMMANDS.methods] + [(QUERIES, m) for m in QUERIES.methods]

# A length running past the end; a field number zero; a varint that never ends.
BAD_BYTES = [b"\x0a\x05ab", b"\x00\x01", b"\x10" + b"\xff" * 10]
STRING = FieldDescriptor.TYPE_STRING


def _not_utf8(method: Any) -> bytes | None:
    """The method's first string field holding two bytes that are not UTF-8."""
    for field in method.input_type.fields:
        if field.type == STRING:
            return bytes([field.number << 3 | 2, 2, 0xFF, 0xFE])
    return None


CASES = [
    (service, method, payload)
    for service, method in RPCS
    for payload in [*BAD_BYTES, _not_utf8(method)]
    if payload is not None
]


def _address(system: System, service: Any) -> str:
    key = "TECHBANK_COMMAND_ADDRESS" if service is COMMANDS else "TECHBANK_QUERY_ADDRESS"
    return system.env[key]


def _call_raw(channel: grpc.Channel, method: Any, payload: bytes) -> None:
    path = f"/{method.containing_service.full_name}/{method.name}"
    if method.server_streaming:
        stream: Any = channel.unary_stream(path)
        list(stream(payload, timeout=TIMEOUT))
    else:
        unary: Any = channel.unary_unary(path)
        unary(payload, timeout=TIMEOUT)


@pytest.fixture
def channels(system: System) -> Iterator[dict[str, grpc.Channel]]:
    with (
        grpc.insecure_channel(system.env["TECHBANK_COMMAND_ADDRESS"]) as command,
        grpc.insecure_channel(system.env["TECHBANK_QUERY_ADDRESS"]) as query,
    ):
        yield {_address(system, COMMANDS): command, _address(system, QUERIES): query}


@pytest.mark.parametrize(
    ("service", "method", "payload"), CASES, ids=lambda x: getattr(x, "name", repr(x))
)
def test_bytes_that_are_no_request_are_invalid_argument(
    system: System, channels: dict[str, grpc.Channel], service: Any, method: Any, payload: bytes
) -> None:
    with pytest.raises(grpc.RpcError) as raised:
        _call_raw(channels[_address(system, service)], method, payload)
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert raised.value.details() == (
        f"the request is not a valid {method.input_type.full_name} message"
    )


HEALTH = health_pb2.DESCRIPTOR.services_by_name["Health"]


@pytest.mark.parametrize("method", list(HEALTH.methods), ids=lambda m: m.name)
@pytest.mark.parametrize("server", ["TECHBANK_COMMAND_ADDRESS", "TECHBANK_QUERY_ADDRESS"])
def test_bad_bytes_to_health_are_invalid_argument_and_log_nothing(
    system: System, server: str, method: Any
) -> None:
    log = next(p for p in system.processes if p.address == system.env[server]).log_path
    logged = log.stat().st_size
    with (
        grpc.insecure_channel(system.env[server]) as channel,
        pytest.raises(grpc.RpcError) as raised,
    ):
        _call_raw(channel, method, BAD_BYTES[0])
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert raised.value.details() == (
        f"the request is not a valid {method.input_type.full_name} message"
    )
    assert log.stat().st_size == logged, log.read_text()[-2000:]


def test_a_flood_of_bad_bytes_writes_nothing_to_the_log(
    system: System, channels: dict[str, grpc.Channel]
) -> None:
    logs = {p.module: p.log_path.stat().st_size for p in system.processes if p.address}
    for service, method in RPCS:
        for _ in range(50):
            with pytest.raises(grpc.RpcError):
                _call_raw(channels[_address(system, service)], method, b"\x0a")
    for process in system.processes:
        if process.address:
            assert process.log_path.stat().st_size == logs[process.module], process.log_tail()


def test_health_list_is_refused_plainly_and_logs_nothing(system: System) -> None:
    """The health library leaves List out (NotImplementedError), which gRPC would answer
    with the exception's class and a logged traceback."""
    address = system.env["TECHBANK_QUERY_ADDRESS"]
    log = next(p for p in system.processes if p.address == address).log_path
    logged = log.stat().st_size
    with grpc.insecure_channel(address) as channel, pytest.raises(grpc.RpcError) as raised:
        listing: Any = channel.unary_unary("/grpc.health.v1.Health/List")
        listing(b"", timeout=TIMEOUT)
    assert raised.value.code() == grpc.StatusCode.UNIMPLEMENTED
    assert raised.value.details() == "grpc.health.v1.Health.List is not implemented by this server"
    assert log.stat().st_size == logged, log.read_text()[-2000:]
