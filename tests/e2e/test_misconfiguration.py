"""A process given an address it cannot listen on, or a credential file it cannot read,
stops at start with one line naming the setting (tests/e2e/misconfigured.py says what
that line must be). The read databases' settings: test_misconfigured_databases.py."""

from pathlib import Path

import pytest

from tests.e2e.misconfigured import local_env, port_in_use, refusal, started

# A Kafka URL nothing listens on: these processes must stop before they reach it.
NO_KAFKA = {"TECHBANK_EVENT_BUS_URL": "kafka://127.0.0.1:1/techbank-never"}

# Each server and the setting of its gRPC address.
SERVERS: list[tuple[str, str, dict[str, str]]] = [
    ("embedded", "TECHBANK_COMMAND_ADDRESS", {}),
    ("query_server", "TECHBANK_QUERY_ADDRESS", {}),
]
# Each process and the setting of its metrics address.
METRICS: list[tuple[str, str, dict[str, str]]] = [
    ("embedded", "TECHBANK_COMMAND_METRICS_ADDRESS", {}),
    ("command_server", "TECHBANK_COMMAND_METRICS_ADDRESS", NO_KAFKA),
    ("query_server", "TECHBANK_QUERY_METRICS_ADDRESS", {}),
    ("projector", "TECHBANK_PROJECTOR_METRICS_ADDRESS", NO_KAFKA),
]


@pytest.mark.parametrize(("module", "setting", "extra"), SERVERS, ids=[s[0] for s in SERVERS])
def test_a_grpc_address_in_use_is_named(
    module: str, setting: str, extra: dict[str, str], tmp_path: Path
) -> None:
    with port_in_use() as address:
        ran = started(module, local_env(tmp_path, **{setting: address}, **extra))
    line = refusal(ran, module, setting)
    assert line.endswith(f"{setting}={address}: cannot listen there: Address already in use")


@pytest.mark.parametrize(("module", "setting", "extra"), METRICS, ids=[m[0] for m in METRICS])
def test_a_metrics_address_in_use_is_named(
    module: str, setting: str, extra: dict[str, str], tmp_path: Path
) -> None:
    with port_in_use() as address:
        ran = started(module, local_env(tmp_path, **{setting: address}, **extra))
    line = refusal(ran, module, setting)
    assert line.endswith(f"{setting}={address}: cannot serve metrics there: Address already in use")


def tls_files(tmp_path: Path, unreadable: str) -> dict[str, str]:
    """TLS and token settings naming files that exist, but for `unreadable`'s. Their
    contents are never parsed: a file that cannot be read stops the server first."""
    settings = {
        "TECHBANK_TLS_CERT_FILE": "server.pem",
        "TECHBANK_TLS_KEY_FILE": "server-key.pem",
        "TECHBANK_TLS_CLIENT_CA_FILE": "ca.pem",
    }
    if unreadable == "TECHBANK_JWT_KEYS_FILE":  # checked without TLS: none configured
        settings = {unreadable: "keys.pem", "TECHBANK_ALLOW_INSECURE": "1"}
        settings |= {"TECHBANK_JWT_ISSUER": "techbank", "TECHBANK_JWT_AUDIENCE": "techbank"}
    for name, file in settings.items():
        if name.endswith("_FILE") and name != unreadable:
            (tmp_path / file).write_text("-----BEGIN NOTHING-----\n")
    return {
        name: str(tmp_path / value) if name.endswith("_FILE") else value
        for name, value in settings.items()
    }


@pytest.mark.parametrize(
    "setting",
    [
        "TECHBANK_TLS_CERT_FILE",
        "TECHBANK_TLS_KEY_FILE",
        "TECHBANK_TLS_CLIENT_CA_FILE",
        "TECHBANK_JWT_KEYS_FILE",
    ],
)
def test_an_unreadable_credential_file_is_named(setting: str, tmp_path: Path) -> None:
    ran = started("query_server", local_env(tmp_path, **tls_files(tmp_path, setting)))
    line = refusal(ran, "query_server", setting)
    assert line.endswith("No such file or directory"), line


@pytest.mark.parametrize("module", ["embedded", "query_server", "projector.check"])
def test_a_settings_file_that_cannot_be_read_is_named(module: str, tmp_path: Path) -> None:
    absent = tmp_path / "absent"
    ran = started(module, local_env(tmp_path, TECHBANK_READ_DB_URL_FILE=str(absent)))
    line = refusal(ran, module, "TECHBANK_READ_DB_URL_FILE")
    assert line.endswith(f"cannot read {absent}: No such file or directory"), line


# A store or bus URL no adapter serves, or a Kafka URL that names no topic.
BAD_URLS: list[tuple[str, str, str]] = [
    ("embedded", "TECHBANK_EVENT_STORE_URL", "oracle://app:secret@db/techbank"),
    ("command_server", "TECHBANK_EVENT_BUS_URL", "amqp://app:secret@mq/events"),
    ("projector", "TECHBANK_EVENT_BUS_URL", "kafka://127.0.0.1:1"),
    ("projector", "TECHBANK_EVENT_BUS_URL", "kafka://127.0.0.1:1/t?partitions=many"),
]


@pytest.mark.parametrize(("module", "setting", "url"), BAD_URLS)
def test_a_url_no_adapter_serves_is_named(
    module: str, setting: str, url: str, tmp_path: Path
) -> None:
    ran = started(module, local_env(tmp_path, **{setting: url}))
    line = refusal(ran, module, setting)
    assert "secret" not in line
    assert "adapter for it" in line or "expected kafka://host:port" in line, line
