"""Settings from the environment: a URL may come from a file (TECHBANK_*_URL_FILE), and the
query server's read database URL falls back to the projector's."""

from pathlib import Path

import pytest

from adapters.grpc.config import ServerConfig
from adapters.settings import ConfigurationError, Settings

WRITER = "mysql+aiomysql://writer:w-secret@127.0.0.1:3306/techbank"
READER = "mysql+aiomysql://reader:r-secret@127.0.0.1:3306/techbank"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("TECHBANK_READ_DB_URL", "TECHBANK_QUERY_DB_URL", "TECHBANK_EVENT_STORE_URL"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(f"{name}_FILE", raising=False)
    monkeypatch.setenv("TECHBANK_DATA_DIR", str(tmp_path))


def secret_file(tmp_path: Path, text: str) -> str:
    path = tmp_path / "secret"
    path.write_text(text)
    return str(path)


def test_a_url_comes_from_the_file_its_file_variable_names(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("TECHBANK_EVENT_STORE_URL_FILE", secret_file(tmp_path, f"  {WRITER}\n"))
    assert Settings().event_store_url == WRITER


def test_a_url_still_comes_from_its_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TECHBANK_READ_DB_URL", WRITER)
    assert Settings().read_db_url == WRITER


def test_a_url_given_both_ways_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TECHBANK_READ_DB_URL", WRITER)
    monkeypatch.setenv("TECHBANK_READ_DB_URL_FILE", secret_file(tmp_path, WRITER))
    with pytest.raises(ValueError, match="not both") as refused:
        Settings()
    assert "secret" not in str(refused.value)


def test_a_missing_file_is_a_configuration_error_naming_its_variable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("TECHBANK_READ_DB_URL_FILE", str(tmp_path / "absent"))
    with pytest.raises(
        ConfigurationError, match=r"^TECHBANK_READ_DB_URL_FILE: cannot read .*absent"
    ):
        Settings()


def test_an_empty_file_means_the_default(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TECHBANK_READ_DB_URL_FILE", secret_file(tmp_path, "\n"))
    assert Settings().read_db_url == f"sqlite+aiosqlite:///{tmp_path}/read.db"


def test_the_query_server_reads_the_projectors_database_by_default(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert Settings().query_db_url == f"sqlite+aiosqlite:///{tmp_path}/read.db"
    monkeypatch.setenv("TECHBANK_READ_DB_URL_FILE", secret_file(tmp_path, WRITER))
    assert Settings().query_db_url == WRITER


def test_the_query_server_has_a_url_of_its_own(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("TECHBANK_READ_DB_URL", WRITER)
    monkeypatch.setenv("TECHBANK_QUERY_DB_URL_FILE", secret_file(tmp_path, READER))
    settings = Settings()
    assert (settings.read_db_url, settings.query_db_url) == (WRITER, READER)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("TECHBANK_SNAPSHOT_EVERY", "-1"),
        ("TECHBANK_SNAPSHOT_EVERY", "ten"),
        ("TECHBANK_MAX_WAITS_PER_CLIENT", "0"),
        ("TECHBANK_MAX_WAIT_SECONDS", "0"),
        ("TECHBANK_MAX_WAIT_SECONDS", "inf"),
        ("TECHBANK_MAX_WAIT_SECONDS", "soon"),
    ],
)
def test_a_number_out_of_range_is_refused_by_name(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValueError, match=f"{name} must be .* got '{value}'"):
        Settings()


def test_numbers_in_range_are_taken(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TECHBANK_SNAPSHOT_EVERY", "0")  # snapshots off
    monkeypatch.setenv("TECHBANK_MAX_WAIT_SECONDS", "2.5")
    settings = Settings()
    assert (settings.snapshot_every, settings.max_wait_seconds) == (0, 2.5)


@pytest.mark.parametrize(
    ("name", "value"),
    [("TECHBANK_MAX_STREAMS_PER_CLIENT", "0"), ("TECHBANK_STREAM_STALL_SECONDS", "-3")],
)
def test_a_server_limit_out_of_range_is_refused_by_name(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValueError, match=f"{name} must be"):
        ServerConfig()
