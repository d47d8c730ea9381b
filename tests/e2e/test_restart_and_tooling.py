"""Data outlives a restart; the servers speak health and reflection for grpcurl."""

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from harness.system import System
from techbank.account.v1 import commands_pb2, queries_pb2
from tests.e2e.helpers import TIMEOUT, open_account, read


def test_restart_keeps_every_account_and_its_history(system: System) -> None:
    account_id = open_account(system.commands, "Restart Me", 500).account_id
    system.commands.WithdrawFunds(
        commands_pb2.WithdrawFundsRequest(account_id=account_id, amount_cents=200), timeout=TIMEOUT
    )
    before = read(system.queries, account_id, 2)
    all_before = list(system.queries.FindAllAccounts(queries_pb2.FindAllAccountsRequest()))
    system.restart()
    assert read(system.queries, account_id, 2) == before
    all_after = list(system.queries.FindAllAccounts(queries_pb2.FindAllAccountsRequest()))
    assert all_after == all_before
    deposit = commands_pb2.DepositFundsRequest(account_id=account_id, amount_cents=1)
    assert system.commands.DepositFunds(deposit, timeout=TIMEOUT).version == 3
    assert read(system.queries, account_id, 3).balance_cents == 301


def _services(address: str) -> set[str]:
    with grpc.insecure_channel(address) as channel:
        stub = reflection_pb2_grpc.ServerReflectionStub(channel)
        request = reflection_pb2.ServerReflectionRequest(list_services="")
        [reply] = list(stub.ServerReflectionInfo(iter([request]), timeout=TIMEOUT))
        return {s.name for s in reply.list_services_response.service}


@pytest.mark.stack_independent
def test_reflection_lists_each_servers_api(system: System) -> None:
    assert "techbank.account.v1.AccountCommandService" in _services(
        system.env["TECHBANK_COMMAND_ADDRESS"]
    )
    assert "techbank.account.v1.AccountQueryService" in _services(
        system.env["TECHBANK_QUERY_ADDRESS"]
    )


def test_health_service_reports_serving(system: System) -> None:
    for address in (system.env["TECHBANK_COMMAND_ADDRESS"], system.env["TECHBANK_QUERY_ADDRESS"]):
        with grpc.insecure_channel(address or "") as channel:
            reply = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(service=""), timeout=TIMEOUT
            )
            assert reply.status == health_pb2.HealthCheckResponse.SERVING
