"""The client over TLS, mutual TLS and bearer tokens, as the servers accept them
(adapters/grpc/config.py), against the fake server with development certificates."""

from pathlib import Path

import grpc
import pytest

from devtools.credentials import make_all
from techbank_client import RetryPolicy, Security, TechbankClient, TechbankError
from tests.support.fake_techbank import FakeTechbank, account, serving

ACCOUNT = account(1).account_id
ONCE = RetryPolicy(attempts=1)


@pytest.fixture(scope="module")
def creds(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("credentials")
    make_all(directory)
    return directory


def server_tls(creds: Path, *, mutual: bool) -> grpc.ServerCredentials:
    pair = ((creds / "server-key.pem").read_bytes(), (creds / "server.pem").read_bytes())
    ca = (creds / "ca.pem").read_bytes() if mutual else None
    return grpc.ssl_server_credentials([pair], root_certificates=ca, require_client_auth=mutual)


async def test_a_token_goes_as_a_bearer_over_tls(creds: Path) -> None:
    fake = FakeTechbank()
    security = Security.from_files(ca_file=str(creds / "ca.pem"), token="t0ken")
    async with (
        serving(fake, server_tls(creds, mutual=False)) as address,
        TechbankClient(address, address, security=security) as bank,
    ):
        await bank.deposit(ACCOUNT, 1)
    assert fake.seen[0].authorization == "Bearer t0ken"


async def test_mutual_tls_presents_the_client_certificate(creds: Path) -> None:
    teller = Security.from_files(
        ca_file=str(creds / "ca.pem"),
        cert_file=str(creds / "teller.pem"),
        key_file=str(creds / "teller-key.pem"),
    )
    no_certificate = Security.from_files(ca_file=str(creds / "ca.pem"))
    async with serving(FakeTechbank(), server_tls(creds, mutual=True)) as address:
        async with TechbankClient(address, address, security=teller) as bank:
            assert (await bank.deposit(ACCOUNT, 1)).version == 2
        async with TechbankClient(
            address, address, security=no_certificate, retry=ONCE
        ) as stranger:
            with pytest.raises(TechbankError) as raised:
                await stranger.deposit(ACCOUNT, 1)
    assert raised.value.code == grpc.StatusCode.UNAVAILABLE


async def test_a_server_is_only_trusted_when_its_ca_is(creds: Path) -> None:
    async with (
        serving(FakeTechbank(), server_tls(creds, mutual=False)) as address,
        TechbankClient(address, address, security=Security(tls=True), retry=ONCE) as bank,
    ):
        with pytest.raises(TechbankError) as raised:
            await bank.deposit(ACCOUNT, 1)
    assert raised.value.code == grpc.StatusCode.UNAVAILABLE


def test_settings_the_servers_would_refuse_are_refused_at_once(creds: Path) -> None:
    with pytest.raises(ValueError, match="needs TLS"):
        Security(token="t0ken")
    with pytest.raises(ValueError, match="go together"):
        Security.from_files(ca_file=str(creds / "ca.pem"), cert_file=str(creds / "teller.pem"))
    with pytest.raises(OSError):
        Security.from_files(ca_file=str(creds / "missing.pem"))
    assert Security().credentials() is None
