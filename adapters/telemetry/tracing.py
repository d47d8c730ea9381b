"""OpenTelemetry traces (a span per RPC, carried with each event to the projector), and logs.

Spans are made when they go somewhere, as the standard OTEL_* variables say:
OTEL_TRACES_EXPORTER (`otlp`, over gRPC to OTEL_EXPORTER_OTLP_ENDPOINT; `console`, to
the log), or OTEL_EXPORTER_OTLP_ENDPOINT alone; TECHBANK_TRACING=on makes them for the
trace ids in the logs only. Otherwise nothing is traced: a span per call cost a fifth
of FindAccountById's throughput (docs/benchmarks.md). OTEL_SDK_DISABLED=true wins.

An event carries the trace of the command that caused it as W3C trace context
(`traceparent`) in its transport headers: Kafka record headers, or the in-process
bus's objects. The projector's span for a batch continues the trace of a lone event,
and links to each event's trace otherwise (a batch mixes many commands). Events that
the outbox's sweep publishes after a restart carry no trace: the context lived only in
the process that took the command.

Logging for every process: one text format, or JSON lines (TECHBANK_LOG_FORMAT=json)
that log collectors parse without rules, each with the request id and trace id of the
call it was written in.
"""

import json
import logging
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from opentelemetry import propagate, trace
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SimpleSpanProcessor,
    SpanExporter,
)

from core.events import StoredEvent

if TYPE_CHECKING:  # the settings configure tracing; tracing needs only their type
    from adapters.settings import Tracing

Headers = tuple[tuple[str, str], ...]
TRACE_KEYS = frozenset({"traceparent", "tracestate"})
tracer = trace.get_tracer("techbank")
NO_SPAN = nullcontext(trace.INVALID_SPAN)  # what a call gets when nothing is traced
_tracing = False  # set by configure_tracing


def configure_tracing(service: str, settings: "Tracing") -> None:
    """Install the process's tracer provider, exporting where `settings` say."""
    global _tracing  # noqa: PLW0603 - one switch per process, set once at start
    if settings.sdk_disabled:
        return
    exporter = _exporter(settings)
    if exporter is None and not settings.ids_in_logs:
        return
    name = settings.service_name or service
    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: name}))
    if isinstance(exporter, ConsoleSpanExporter):
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    elif exporter is not None:
        provider.add_span_processor(BatchSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    _tracing = True


def _exporter(settings: "Tracing") -> SpanExporter | None:
    chosen = settings.exporter
    if chosen == "console":
        return ConsoleSpanExporter()
    if chosen == "otlp" or (not chosen and settings.otlp_endpoint):
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import (  # noqa: PLC0415
            OTLPSpanExporter,  # loaded only when asked for: it pulls in much
        )

        return OTLPSpanExporter()
    return None


def rpc_span(method: str, context: Any) -> AbstractContextManager[trace.Span]:
    """A server span for one call (a grpc.aio context), continuing the caller's trace
    when its metadata carries one (a `traceparent` set by an instrumented client)."""
    return _rpc_span(method, context.invocation_metadata()) if _tracing else NO_SPAN


@contextmanager
def _rpc_span(method: str, metadata: Any) -> Iterator[trace.Span]:
    carrier = {key: value for key, value in metadata or () if key in TRACE_KEYS}
    parent = propagate.extract(carrier) if carrier else None
    with tracer.start_as_current_span(method, context=parent, kind=trace.SpanKind.SERVER) as span:
        yield span


def current_headers() -> Headers:
    """The current span's context as transport headers; none outside a span."""
    if not _tracing:
        return ()
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return tuple(carrier.items())


def context_of(headers: Headers) -> trace.SpanContext | None:
    """The span context an event's headers carry, if any (the Kafka consumer has decoded
    them: adapters.kafka.consumer.with_headers)."""
    span = trace.get_current_span(propagate.extract(dict(headers)))
    context = span.get_span_context()
    return context if context.is_valid else None


def batch_span(name: str, events: Sequence[StoredEvent]) -> AbstractContextManager[trace.Span]:
    """A consumer span for a batch of events: the child of their trace when they all
    carry the same one, linked to each of theirs otherwise."""
    return _batch_span(name, events) if _tracing else NO_SPAN


@contextmanager
def _batch_span(name: str, events: Sequence[StoredEvent]) -> Iterator[trace.Span]:
    carried = (context_of(event.headers) for event in events)
    contexts = list({(c.trace_id, c.span_id): c for c in carried if c is not None}.values())
    parent = None
    if len(contexts) == 1:
        parent = trace.set_span_in_context(trace.NonRecordingSpan(contexts[0]))
    links = [trace.Link(context) for context in contexts] if len(contexts) > 1 else []
    kind = trace.SpanKind.CONSUMER
    with tracer.start_as_current_span(name, context=parent, links=links, kind=kind) as span:
        span.set_attribute("messaging.batch.message_count", len(events))
        yield span


def trace_id_of_current_span() -> str:
    """The current trace's id in hex, as tools show it; "" outside a span."""
    context = trace.get_current_span().get_span_context()
    return format(context.trace_id, "032x") if context.is_valid else ""


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
