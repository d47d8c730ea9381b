"""Configuration from environment variables: one URL per port, chosen at start.

The defaults are the embedded default: SQLite files under ./data and an in-process bus.
"""

import logging
import os
from dataclasses import dataclass, field


def _data_dir() -> str:
    return os.environ.get("TECHBANK_DATA_DIR", "data")


def _env(name: str, default: str) -> str:
    return os.environ.get(name) or default


@dataclass(frozen=True)
class Settings:
    command_address: str = field(
        default_factory=lambda: _env("TECHBANK_COMMAND_ADDRESS", "127.0.0.1:50051")
    )
    query_address: str = field(
        default_factory=lambda: _env("TECHBANK_QUERY_ADDRESS", "127.0.0.1:50052")
    )
    event_store_url: str = field(
        default_factory=lambda: _env(
            "TECHBANK_EVENT_STORE_URL", f"sqlite+aiosqlite:///{_data_dir()}/events.db"
        )
    )
    event_bus_url: str = field(
        default_factory=lambda: _env("TECHBANK_EVENT_BUS_URL", "inprocess://")
    )
    read_db_url: str = field(
        default_factory=lambda: _env(
            "TECHBANK_READ_DB_URL", f"sqlite+aiosqlite:///{_data_dir()}/read.db"
        )
    )
    projector_group: str = field(
        default_factory=lambda: _env("TECHBANK_PROJECTOR_GROUP", "techbank-projector")
    )
    # The longest a query waits for the read model (min_version), whatever the deadline.
    max_wait_seconds: float = field(
        default_factory=lambda: float(_env("TECHBANK_MAX_WAIT_SECONDS", "30"))
    )
    log_level: str = field(default_factory=lambda: _env("TECHBANK_LOG_LEVEL", "INFO"))


def configure_logging(settings: Settings) -> None:
    """One log format for every process, so their logs read alike side by side."""
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
