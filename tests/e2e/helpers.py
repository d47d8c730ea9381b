"""Small helpers for talking to the running servers in end-to-end tests."""

import asyncio
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeAlias

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from prometheus_client.parser import text_string_to_metric_families

from adapters.sql.engine import create_engine
from adapters.sql.read_schema import prepare_read_model
from techbank.account.v1 import account_pb2, commands_pb2, queries_pb2

SAVINGS = account_pb2.ACCOUNT_TYPE_SAVINGS
CURRENT = account_pb2.ACCOUNT_TYPE_CURRENT
TIMEOUT = 10.0
AccountTypeValue: TypeAlias = account_pb2.AccountType.ValueType
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]  # by name and labels


def open_account(
    commands: Any, holder: str = "Ada Lovelace", cents: int = 0, kind: AccountTypeValue = SAVINGS
) -> commands_pb2.OpenAccountResponse:
    request = commands_pb2.OpenAccountRequest(
        holder=holder, account_type=kind, opening_balance_cents=cents, request_id=str(uuid.uuid4())
    )
    result: commands_pb2.OpenAccountResponse = commands.OpenAccount(request, timeout=TIMEOUT)
    return result


def read(queries: Any, account_id: str, min_version: int) -> account_pb2.Account:
    """The account once the read model has caught up with `min_version`."""
    query = queries_pb2.FindAccountByIdRequest(account_id=account_id, min_version=min_version)
    found: queries_pb2.FindAccountByIdResponse = queries.FindAccountById(query, timeout=TIMEOUT)
    return found.account


def expect_status(call: Callable[[], object], code: grpc.StatusCode, details: str) -> None:
    """The call fails with `code`, its message contains `details`, and no internals leak."""
    with pytest.raises(grpc.RpcError) as raised:
        call()
    error: Any = raised.value
    assert (error.code(), details in error.details()) == (code, True), error.details()
    for leak in ("Traceback", "Exception", "Error:", 'File "'):
        assert leak not in error.details()


@dataclass
class Refusal:
    code: grpc.StatusCode
    reason: str
    domain: str
    metadata: dict[str, str]
    fields: list[str] = field(default_factory=list)


def refusal_of(call: Callable[[], object]) -> Refusal:
    """The call's error as a program reads it: from the google.rpc.Status trailer."""
    with pytest.raises(grpc.RpcError) as raised:
        call()
    return refusal_from(raised.value)


def refusal_from(error: Any) -> Refusal:
    status = rpc_status.from_call(error)
    assert status is not None, f"no rich status with {error.code()}: {error.details()}"
    assert status.code == error.code().value[0] and status.message == error.details()
    info, bad = error_details_pb2.ErrorInfo(), error_details_pb2.BadRequest()
    kinds = [detail for detail in status.details if detail.Unpack(info) or detail.Unpack(bad)]
    assert len(kinds) == len(status.details), "a detail of an unknown type"
    return Refusal(
        error.code(),
        info.reason,
        info.domain,
        dict(info.metadata),
        [violation.field for violation in bad.field_violations],
    )


def scrape(address: str) -> Samples:
    """The metrics a process serves on `address` now."""
    with urllib.request.urlopen(f"http://{address}/metrics", timeout=TIMEOUT) as answer:
        text = answer.read().decode()
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def create_read_model(url: str) -> None:
    """The read model's tables at `url`, as a projector creates them when it starts: a
    query server started alone waits for them (it never creates them)."""

    async def prepare() -> None:
        engine = create_engine(url)
        try:
            await prepare_read_model(engine)
        finally:
            await engine.dispose()

    asyncio.run(prepare())
