"""Configuration from environment variables: one URL per port, chosen at start.

The defaults are the embedded default: SQLite files under ./data and an in-process bus.
A setting a process cannot start with is a ConfigurationError naming it; a URL is shown
`redacted`, whatever may be a password hidden.
"""

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from adapters import inprocess_bus
from adapters.telemetry import tracing as logs
from adapters.telemetry.metrics import serve_metrics
from adapters.telemetry.tracing import configure_tracing


class ConfigurationError(ValueError):
    """A setting the process cannot start with. Its message names the setting (a URL's
    password redacted); each entry point says it in one line and exits
    (adapters.command_line), with no traceback: the fix is in the environment, not the code."""


class EarlierStoreLayout(ConfigurationError):
    """The store holds data in a layout an earlier version wrote; nothing was changed."""


def _data_dir() -> str:
    return os.environ.get("TECHBANK_DATA_DIR", "data")


def env_value(name: str, default: str) -> str:
    """`name`'s value, or else the stripped contents of the file `name`_FILE names (the
    Docker and Kubernetes way to hand over a secret), or else `default`."""
    path = os.environ.get(f"{name}_FILE")
    if not path:
        return os.environ.get(name) or default
    if os.environ.get(name):
        raise ConfigurationError(f"set {name} or {name}_FILE, not both")
    return read_setting_file(f"{name}_FILE", path).decode().strip() or default


def read_setting_file(setting: str, path: str) -> bytes:
    """The file `setting` names, or a ConfigurationError saying why it cannot be read."""
    try:
        return Path(path).read_bytes()
    except OSError as error:
        raise ConfigurationError(f"{setting}: cannot read {path}: {error.strerror}") from None


def count(name: str, default: int, minimum: int = 1) -> int:
    """`name` as a whole number of at least `minimum`: a value that is not one stops the
    process at start, naming the variable, rather than failing later or deep inside."""
    text = env_value(name, str(default))
    try:
        value = int(text)
    except ValueError:
        value = minimum - 1
    if value < minimum:
        raise ConfigurationError(
            f"{name} must be a whole number of {minimum} or more, got {text!r}"
        )
    return value


def seconds(name: str, default: float, none_allowed: bool = False) -> float:
    """`name` as a number of seconds greater than 0 (or 0 too, when `none_allowed`),
    checked as `count` checks."""
    text = env_value(name, str(default))
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not (value >= 0 if none_allowed else value > 0) or value == float("inf"):
        least = "0 or more" if none_allowed else "greater than 0"
        raise ConfigurationError(f"{name} must be a number of seconds {least}, got {text!r}")
    return value


def _read_db_url() -> str:
    return env_value("TECHBANK_READ_DB_URL", f"sqlite+aiosqlite:///{_data_dir()}/read.db")


@dataclass(frozen=True)
class Faults:
    """The fault seams of the tests that prove nothing is lost (adapters.faults): all off
    unless TECHBANK_FAULT_* asks."""

    kill_after_append: bool = field(
        default_factory=lambda: env_value("TECHBANK_FAULT_KILL_AFTER_APPEND", "") == "1"
    )
    kill_after_event: str = field(
        default_factory=lambda: env_value("TECHBANK_FAULT_KILL_AFTER_EVENT", "")
    )
    slow_batch_seconds: float = field(
        default_factory=lambda: seconds("TECHBANK_FAULT_SLOW_BATCH_SECONDS", 0, none_allowed=True)
    )


@dataclass(frozen=True)
class Tracing:
    """Where traces go, as OpenTelemetry's standard variables say (adapters.telemetry)."""

    sdk_disabled: bool = field(
        default_factory=lambda: env_value("OTEL_SDK_DISABLED", "").lower() == "true"
    )
    exporter: str = field(default_factory=lambda: env_value("OTEL_TRACES_EXPORTER", "").lower())
    otlp_endpoint: str = field(default_factory=lambda: env_value("OTEL_EXPORTER_OTLP_ENDPOINT", ""))
    service_name: str = field(default_factory=lambda: env_value("OTEL_SERVICE_NAME", ""))
    # on: spans made for the trace ids in the logs even when none is exported
    ids_in_logs: bool = field(
        default_factory=lambda: env_value("TECHBANK_TRACING", "").lower() == "on"
    )


@dataclass(frozen=True)
class Settings:
    command_address: str = field(
        default_factory=lambda: env_value("TECHBANK_COMMAND_ADDRESS", "127.0.0.1:50051")
    )
    query_address: str = field(
        default_factory=lambda: env_value("TECHBANK_QUERY_ADDRESS", "127.0.0.1:50052")
    )
    event_store_url: str = field(
        default_factory=lambda: env_value(
            "TECHBANK_EVENT_STORE_URL", f"sqlite+aiosqlite:///{_data_dir()}/events.db"
        )
    )
    event_bus_url: str = field(
        default_factory=lambda: env_value("TECHBANK_EVENT_BUS_URL", inprocess_bus.URL)
    )
    # The projector's, which writes the read model; the query server's may only read it.
    read_db_url: str = field(default_factory=_read_db_url)
    query_db_url: str = field(
        default_factory=lambda: env_value("TECHBANK_QUERY_DB_URL", "") or _read_db_url()
    )
    projector_group: str = field(
        default_factory=lambda: env_value("TECHBANK_PROJECTOR_GROUP", "techbank-projector")
    )
    # The command servers' consumer group, reading the bus for transfers left under way.
    transfers_group: str = field(
        default_factory=lambda: env_value("TECHBANK_TRANSFERS_GROUP", "techbank-transfers")
    )
    # The longest a query waits for the read model (min_version), whatever the deadline.
    max_wait_seconds: float = field(
        default_factory=lambda: seconds("TECHBANK_MAX_WAIT_SECONDS", 30)
    )
    # How many of those waits one client may hold at once.
    max_waits_per_client: int = field(
        default_factory=lambda: count("TECHBANK_MAX_WAITS_PER_CLIENT", 128)
    )
    # How long a query server started before its projector waits for the read model's
    # tables (NOT_SERVING meanwhile) before it stops, naming TECHBANK_QUERY_DB_URL.
    query_schema_wait_seconds: float = field(
        default_factory=lambda: seconds("TECHBANK_QUERY_SCHEMA_WAIT_SECONDS", 60)
    )
    # Keep a snapshot of an account each time its version crosses a multiple of this, so
    # that loading it reads the snapshot and at most this many events (0: snapshots are
    # neither taken nor read).
    snapshot_every: int = field(
        default_factory=lambda: count("TECHBANK_SNAPSHOT_EVERY", 100, minimum=0)
    )

    log_level: str = field(default_factory=lambda: env_value("TECHBANK_LOG_LEVEL", "INFO"))
    # text, or json: one object per line with the request id and trace id.
    log_format: str = field(default_factory=lambda: env_value("TECHBANK_LOG_FORMAT", "text"))
    # Where each process serves Prometheus metrics (host:port); empty: nowhere.
    command_metrics_address: str = field(
        default_factory=lambda: env_value("TECHBANK_COMMAND_METRICS_ADDRESS", "")
    )
    query_metrics_address: str = field(
        default_factory=lambda: env_value("TECHBANK_QUERY_METRICS_ADDRESS", "")
    )
    projector_metrics_address: str = field(
        default_factory=lambda: env_value("TECHBANK_PROJECTOR_METRICS_ADDRESS", "")
    )

    faults: Faults = field(default_factory=Faults)
    tracing: Tracing = field(default_factory=Tracing)

    def on_in_process_bus(self) -> bool:
        """The embedded default's bus: its events reach only this process."""
        return self.event_bus_url == inprocess_bus.URL


def configure_logging(settings: Settings) -> None:
    """One log format for every process, so their logs read alike side by side."""
    try:
        logs.configure_logging(settings.log_level, settings.log_format)
    except ValueError as error:
        raise ConfigurationError(str(error)) from None


def configure_telemetry(
    settings: Settings, service: str, metrics_address: str, metrics_setting: str
) -> None:
    """Logs, traces and metrics of the process named `service`, as `settings` say; its
    metrics on `metrics_address`, the value of `metrics_setting` (named if it cannot be)."""
    configure_logging(settings)
    configure_tracing(service, settings.tracing)
    try:
        serve_metrics(metrics_address)
    except (OSError, ValueError) as error:
        reason = error.strerror if isinstance(error, OSError) else "not host:port"
        raise ConfigurationError(
            f"{metrics_setting}={metrics_address}: cannot serve metrics there: {reason}"
        ) from None


# A user and password before an `@`; up to the last `@`, so that a password holding an
# unescaped `@` is hidden whole (at worst the host goes too).
_PASSWORD = re.compile(r"^(?P<user>[^:/?#]+://[^:/?#@]*:).*@")


def redacted(url: str) -> str:
    """`url` with its password, if it holds one, replaced by ***."""
    return _PASSWORD.sub(r"\g<user>***@", url, count=1)
