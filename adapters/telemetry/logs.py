"""Logging for every process: one text format, or JSON lines (TECHBANK_LOG_FORMAT=json)
that log collectors parse without rules, each with the request id and trace id of the
call it was written in."""

import json
import logging
from contextvars import ContextVar
from datetime import UTC, datetime

from adapters.telemetry.tracing import trace_id_of_current_span

# The client's request id of the command being handled; "" outside one.
request_id: ContextVar[str] = ContextVar("request_id", default="")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure_logging(level: str, log_format: str) -> None:
    handler = logging.StreamHandler()
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
    elif log_format == "text":
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    else:
        raise ValueError(f"TECHBANK_LOG_FORMAT must be text or json, not {log_format!r}")
    if not isinstance(logging.getLevelName(level.upper()), int):
        raise ValueError(f"TECHBANK_LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, not {level!r}")
    logging.basicConfig(level=level.upper(), handlers=[handler], force=True)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if request := request_id.get():
            line["request_id"] = request
        if trace_id := trace_id_of_current_span():
            line["trace_id"] = trace_id
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)
