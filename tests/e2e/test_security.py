"""Who may call: the whole lifecycle over TLS with mutual TLS and with bearer tokens,
refusals that say no more than they must, request ids that belong to their client,
and servers that will not face a network unprotected."""

import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from adapters.grpc.health import open_channel
from devtools.credentials import make_all, token
from harness.processes import ServerProcess, free_port, wait_until_serving
from harness.system import System, running_system
from techbank.account.v1 import commands_pb2 as c
from techbank.account.v1 import commands_pb2_grpc, queries_pb2_grpc
from techbank.account.v1 import queries_pb2 as q
from techbank.account.v1.account_pb2 import ACCOUNT_STATUS_CLOSED
from tests.e2e.conftest import STACKS
from tests.e2e.helpers import (
    SAVINGS,
    TIMEOUT,
    create_read_model,
    expect_status,
    read,
    refusal_from,
)

# TLS, tokens, scopes and request keys per client (core.requests) live in the gRPC
# layer and the core both stacks share; the stores only keep the keys they are given.
pytestmark = pytest.mark.stack_independent

READ_WRITE = "accounts:read accounts:write"
CERTIFICATE_SCOPES = "teller=accounts:read accounts:write;auditor=accounts:read"
Status = grpc.StatusCode


@pytest.fixture(scope="module")
def creds(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("credentials")
    make_all(directory)
    return directory


def tls_env(creds: Path, *, mutual: bool) -> dict[str, str]:
    env = {
        "TECHBANK_TLS_CERT_FILE": str(creds / "server.pem"),
        "TECHBANK_TLS_KEY_FILE": str(creds / "server-key.pem"),
    }
    if mutual:
        return env | {
            "TECHBANK_TLS_CLIENT_CA_FILE": str(creds / "ca.pem"),
            "TECHBANK_CERTIFICATE_SCOPES": CERTIFICATE_SCOPES,
        }
    return env | {
        "TECHBANK_JWT_KEYS_FILE": str(creds / "token-public-key.pem"),
        "TECHBANK_JWT_ISSUER": "techbank-dev",
        "TECHBANK_JWT_AUDIENCE": "techbank",
    }


def certificate(creds: Path, client: str | None) -> grpc.ChannelCredentials:
    ca = (creds / "ca.pem").read_bytes()
    if client is None:
        return grpc.ssl_channel_credentials(root_certificates=ca)
    return grpc.ssl_channel_credentials(
        root_certificates=ca,
        private_key=(creds / f"{client}-key.pem").read_bytes(),
        certificate_chain=(creds / f"{client}.pem").read_bytes(),
    )


def with_token(creds: Path, bearer: str) -> grpc.ChannelCredentials:
    return grpc.composite_channel_credentials(
        certificate(creds, None), grpc.access_token_call_credentials(bearer)
    )


class Client:
    """Stubs for both servers of `system`, over channels with `credentials`."""

    def __init__(self, system: System, credentials: grpc.ChannelCredentials) -> None:
        self._channels = [
            open_channel(system.env[name], credentials)
            for name in ("TECHBANK_COMMAND_ADDRESS", "TECHBANK_QUERY_ADDRESS")
        ]
        self.commands: Any = commands_pb2_grpc.AccountCommandServiceStub(self._channels[0])
        self.queries: Any = queries_pb2_grpc.AccountQueryServiceStub(self._channels[1])

    def close(self) -> None:
        for channel in self._channels:
            channel.close()


def secured_system(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    env: dict[str, str],
    credentials: grpc.ChannelCredentials,
) -> Iterator[System]:
    stack = request.param
    data = tmp_path_factory.mktemp(f"{request.fixturename}-{stack}")
    with running_system(stack, data, env, credentials) as system:
        yield system


@pytest.fixture(scope="module", params=STACKS)
def mtls_system(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, creds: Path
) -> Iterator[System]:
    env, teller = tls_env(creds, mutual=True), certificate(creds, "teller")
    yield from secured_system(request, tmp_path_factory, env, teller)


@pytest.fixture(scope="module", params=STACKS)
def token_system(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, creds: Path
) -> Iterator[System]:
    env, teller = (
        tls_env(creds, mutual=False),
        with_token(creds, token(creds, "teller", READ_WRITE)),
    )
    yield from secured_system(request, tmp_path_factory, env, teller)


WAITS_PER_CLIENT = 2


@pytest.fixture(scope="module")
def quota_system(tmp_path_factory: pytest.TempPathFactory, creds: Path) -> Iterator[System]:
    """Embedded (quotas live in the gRPC layer both stacks share), with tokens, so that
    clients are told apart by name, and a small quota of waits per client."""
    env = tls_env(creds, mutual=False) | {"TECHBANK_MAX_WAITS_PER_CLIENT": str(WAITS_PER_CLIENT)}
    teller = with_token(creds, token(creds, "teller", READ_WRITE))
    with running_system("embedded", tmp_path_factory.mktemp("quota"), env, teller) as system:
        yield system


def lifecycle(commands: Any, queries: Any) -> None:
    opened = commands.OpenAccount(
        c.OpenAccountRequest(holder="Grace Hopper", account_type=SAVINGS), timeout=TIMEOUT
    )
    account_id = opened.account_id
    commands.DepositFunds(c.DepositFundsRequest(account_id=account_id, amount_cents=500))
    commands.WithdrawFunds(c.WithdrawFundsRequest(account_id=account_id, amount_cents=200))
    assert read(queries, account_id, 3).balance_cents == 300
    commands.WithdrawFunds(c.WithdrawFundsRequest(account_id=account_id, amount_cents=300))
    closed = commands.CloseAccount(c.CloseAccountRequest(account_id=account_id))
    assert read(queries, account_id, closed.version).status == ACCOUNT_STATUS_CLOSED
    pages = list(queries.FindAllAccounts(q.FindAllAccountsRequest(), timeout=TIMEOUT))
    assert account_id in {a.account_id for page in pages for a in page.accounts}


def test_the_lifecycle_over_mutual_tls(mtls_system: System) -> None:
    lifecycle(mtls_system.commands, mtls_system.queries)


def test_the_lifecycle_with_a_bearer_token(token_system: System) -> None:
    lifecycle(token_system.commands, token_system.queries)


def test_a_certificate_without_the_scope_is_denied(mtls_system: System, creds: Path) -> None:
    opened = mtls_system.commands.OpenAccount(
        c.OpenAccountRequest(holder="Ada", account_type=SAVINGS), timeout=TIMEOUT
    )
    auditor = Client(mtls_system, certificate(creds, "auditor"))
    stranger = Client(mtls_system, certificate(creds, "stranger"))
    try:
        assert read(auditor.queries, opened.account_id, 1).holder == "Ada"
        deposit = c.DepositFundsRequest(account_id=opened.account_id, amount_cents=1)
        expect_status(
            lambda: auditor.commands.DepositFunds(deposit, timeout=TIMEOUT),
            Status.PERMISSION_DENIED,
            "permission denied",
        )
        query = q.FindAccountByIdRequest(account_id=opened.account_id)
        expect_status(
            lambda: stranger.queries.FindAccountById(query, timeout=TIMEOUT),
            Status.PERMISSION_DENIED,
            "permission denied",
        )
    finally:
        auditor.close()
        stranger.close()


def test_no_client_certificate_no_connection(mtls_system: System, creds: Path) -> None:
    anonymous = Client(mtls_system, certificate(creds, None))
    try:
        with pytest.raises(grpc.RpcError) as raised:
            anonymous.queries.FindAccountById(
                q.FindAccountByIdRequest(account_id=str(uuid.uuid4())), timeout=TIMEOUT
            )
        assert raised.value.code() == Status.UNAVAILABLE
    finally:
        anonymous.close()


def bad_tokens(creds: Path, other: Path) -> dict[str, str]:
    return {
        "expired": token(creds, "teller", READ_WRITE, minutes=-5),
        "another audience": token(creds, "teller", READ_WRITE, audience="elsewhere"),
        "another issuer": token(creds, "teller", READ_WRITE, issuer="mallory"),
        "another key": token(other, "teller", READ_WRITE),
        "garbage": "not.a.token",
    }


def test_calls_without_a_valid_token_are_unauthenticated(
    token_system: System, creds: Path, tmp_path: Path
) -> None:
    make_all(tmp_path)
    plain = Client(token_system, certificate(creds, None))
    query = q.FindAccountByIdRequest(account_id=str(uuid.uuid4()))
    try:
        expect_status(
            lambda: plain.queries.FindAccountById(query, timeout=TIMEOUT),
            Status.UNAUTHENTICATED,
            "authentication required",
        )
        for why, bearer in bad_tokens(creds, tmp_path).items():
            metadata = [("authorization", f"Bearer {bearer}")]
            with pytest.raises(grpc.RpcError) as raised:
                plain.queries.FindAccountById(query, metadata=metadata, timeout=TIMEOUT)
            assert raised.value.code() == Status.UNAUTHENTICATED, why
            assert raised.value.details() == "authentication required", why
            assert refusal_from(raised.value).reason == "UNAUTHENTICATED", why
    finally:
        plain.close()


def test_a_read_only_token_cannot_command(token_system: System, creds: Path) -> None:
    reader = Client(token_system, with_token(creds, token(creds, "report", "accounts:read")))
    try:
        request = c.OpenAccountRequest(holder="Ada", account_type=SAVINGS)
        expect_status(
            lambda: reader.commands.OpenAccount(request, timeout=TIMEOUT),
            Status.PERMISSION_DENIED,
            "permission denied",
        )
    finally:
        reader.close()


def test_request_ids_belong_to_their_client(token_system: System, creds: Path) -> None:
    alice = Client(token_system, with_token(creds, token(creds, "alice", READ_WRITE)))
    bob = Client(token_system, with_token(creds, token(creds, "bob", READ_WRITE)))
    request_id = str(uuid.uuid4())

    def open_as(client: Client, holder: str) -> str:
        command = c.OpenAccountRequest(holder=holder, account_type=SAVINGS, request_id=request_id)
        return str(client.commands.OpenAccount(command, timeout=TIMEOUT).account_id)

    try:
        alices = open_as(alice, "Alice")
        bobs = open_as(bob, "Bob")  # the same id, other content: a request of Bob's own
        assert alices != bobs
        assert open_as(alice, "Alice") == alices
        assert open_as(bob, "Bob") == bobs
        assert read(alice.queries, bobs, 1).holder == "Bob"
    finally:
        alice.close()
        bob.close()


def test_health_is_open_to_any_tls_client(token_system: System, creds: Path) -> None:
    address = token_system.env["TECHBANK_QUERY_ADDRESS"]
    with grpc.secure_channel(address, certificate(creds, None)) as channel:
        reply = health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(), timeout=TIMEOUT
        )
    assert reply.status == health_pb2.HealthCheckResponse.SERVING


def start_query_server(tmp_path: Path, env: dict[str, str]) -> tuple[ServerProcess, str]:
    """A query server alone, on a network address, over an empty read model."""
    create_read_model(f"sqlite+aiosqlite:///{tmp_path}/read.db")
    port = free_port()
    process = ServerProcess(
        "query_server",
        {"TECHBANK_DATA_DIR": str(tmp_path), "TECHBANK_QUERY_ADDRESS": f"0.0.0.0:{port}"} | env,
        tmp_path / "query.log",
    ).start()
    return process, f"127.0.0.1:{port}"


@pytest.mark.parametrize("with_tls", [False, True], ids=["plaintext", "tls-without-auth"])
def test_a_server_on_a_network_address_refuses_to_start_unprotected(
    tmp_path: Path, creds: Path, with_tls: bool
) -> None:
    tls = {k: v for k, v in tls_env(creds, mutual=False).items() if "JWT" not in k}
    process, _ = start_query_server(tmp_path, tls if with_tls else {})
    assert process.process is not None
    assert process.process.wait(30) == 2
    last = process.log_tail().splitlines()[-1]
    assert last.startswith("python -m query_server: 0.0.0.0:"), process.log_tail()
    assert "is not a loopback address" in last and "Traceback" not in process.log_tail()


def test_tokens_without_tls_are_refused_even_on_loopback(tmp_path: Path, creds: Path) -> None:
    settings = {k: v for k, v in tls_env(creds, mutual=False).items() if "TLS" not in k}
    process = ServerProcess(
        "query_server",
        {"TECHBANK_DATA_DIR": str(tmp_path), "TECHBANK_QUERY_ADDRESS": f"127.0.0.1:{free_port()}"}
        | settings,
        tmp_path / "query.log",
    ).start()
    assert process.process is not None
    assert process.process.wait(30) == 2
    assert "credentials in the clear" in process.log_tail()


def test_allow_insecure_serves_and_says_so(tmp_path: Path) -> None:
    process, address = start_query_server(tmp_path, {"TECHBANK_ALLOW_INSECURE": "1"})
    try:
        wait_until_serving(address, process=process.process)
        assert process.stop() == 0
        assert "INSECURE" in process.log_tail()
    finally:
        process.kill()


def test_one_client_holding_its_waits_does_not_hold_anyone_elses(
    quota_system: System, creds: Path
) -> None:
    alice = Client(quota_system, with_token(creds, token(creds, "alice", READ_WRITE)))
    bob = Client(quota_system, with_token(creds, token(creds, "bob", READ_WRITE)))
    never = q.FindAccountByIdRequest(account_id=str(uuid.uuid4()), min_version=1)
    calls = [alice.queries.FindAccountById.future(never, timeout=60) for _ in range(3)]
    try:
        refused = first_done(calls)  # whichever of the three came last to the server
        assert refused.code() == Status.RESOURCE_EXHAUSTED
        assert refusal_from(refused).reason == "CLIENT_QUOTA_EXCEEDED"
        assert f"(at most {WAITS_PER_CLIENT})" in refused.details()
        opened = bob.commands.OpenAccount(
            c.OpenAccountRequest(holder="Bob", account_type=SAVINGS), timeout=TIMEOUT
        )
        assert read(bob.queries, opened.account_id, 1).holder == "Bob"
        later = q.FindAccountByIdRequest(account_id=opened.account_id, min_version=2)
        expect_status(
            lambda: bob.queries.FindAccountById(later, timeout=1),
            Status.DEADLINE_EXCEEDED,
            "version 2",
        )
    finally:
        for call in calls:
            call.cancel()
    assert read(alice.queries, opened.account_id, 1).holder == "Bob"  # hers are released
    alice.close()
    bob.close()


def first_done(calls: list[Any], seconds: float = TIMEOUT) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        done = [call for call in calls if call.done()]
        if done:
            assert len(done) == 1, [call.code() for call in done]
            return done[0]
        time.sleep(0.01)
    raise AssertionError(f"none of the calls ended within {seconds} s")
