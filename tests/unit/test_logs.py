"""JSON log lines carry what ties them to a call: its request id and its trace id."""

import json
import logging

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider

from adapters.telemetry import tracing as logs


def record(message: str) -> logging.LogRecord:
    return logging.LogRecord("techbank.test", logging.WARNING, __file__, 1, message, (), None)


def test_a_line_outside_any_call_has_no_ids() -> None:
    line = json.loads(logs.JsonFormatter().format(record("ready")))
    assert line["message"] == "ready" and line["level"] == "WARNING"
    assert "request_id" not in line and "trace_id" not in line


def test_a_line_inside_a_call_names_its_request_and_trace() -> None:
    span = TracerProvider().get_tracer("test").start_span("call")
    token = logs.request_id.set("req-7")
    try:
        with trace.use_span(span, end_on_exit=True):
            line = json.loads(logs.JsonFormatter().format(record("ünïcode kept")))
    finally:
        logs.request_id.reset(token)
    assert line["request_id"] == "req-7"
    assert line["trace_id"] == format(span.get_span_context().trace_id, "032x")
    assert line["message"] == "ünïcode kept"


def test_an_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="TECHBANK_LOG_FORMAT must be text or json"):
        logs.configure_logging("INFO", "yaml")
