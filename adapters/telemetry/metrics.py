"""Prometheus metrics, served over HTTP by each process that is given an address.

Names follow Prometheus' conventions (base units, `_total` for counters). Each
process serves only what it measures: the servers their RPCs, the command server its
outbox (and, on the embedded default, its projection), the projector its lag.
"""

import logging
from collections.abc import Iterator

from prometheus_client import REGISTRY, Counter, Gauge, Histogram, start_http_server
from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from core.outbox import Outbox
from core.parking import ParkingConsumer

log = logging.getLogger(__name__)

RPCS = Counter(
    "techbank_rpc_requests",
    "RPCs answered, by method and status code",
    ["method", "code"],
)
RPC_SECONDS = Histogram(
    "techbank_rpc_duration_seconds",
    "Time from a call's arrival to its last answer, by method",
    ["method"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
STORE_ERRORS = Counter(
    "techbank_store_errors",
    "Stores or bus found unreachable: by a call (answered UNAVAILABLE) or by the projector",
    ["where"],
)
PROJECTED = Counter("techbank_projector_events", "Events applied to the read model")
PROJECTOR_LAG_SECONDS = Gauge(
    "techbank_projector_lag_seconds",
    "Age of the newest event of the last batch applied, when it was applied",
)
CONSUMER_LAG = Gauge(
    "techbank_projector_consumer_lag_events",
    "Events on the topic not yet applied, by partition (high watermark - next offset)",
    ["partition"],
)


def serve_metrics(address: str) -> None:
    """Serve /metrics on `address` (host:port) from a thread; nothing when it is empty."""
    if not address:
        return
    host, _, port = address.rpartition(":")
    start_http_server(int(port), addr=host or "0.0.0.0")
    log.info("metrics on http://%s/metrics", address)


def observe_outbox(outbox: Outbox) -> None:
    """Report what `outbox` holds and has done, read when metrics are scraped."""
    REGISTRY.register(_OutboxCollector(outbox))


class _OutboxCollector(Collector):
    def __init__(self, outbox: Outbox) -> None:
        self._outbox = outbox

    def collect(self) -> Iterator[Metric]:
        counts = self._outbox.counts
        yield GaugeMetricFamily(
            "techbank_outbox_queued_events",
            "Events stored and waiting in this process's queue to be published",
            value=self._outbox.queued(),
        )
        yield CounterMetricFamily(
            "techbank_outbox_swept_events",
            "Events the outbox's sweep found unpublished in the store and published",
            value=counts.swept,
        )
        yield CounterMetricFamily(
            "techbank_outbox_failed_publishes",
            "Publishes to the bus that failed (their events are published by the sweep)",
            value=counts.failed_publishes,
        )


class _ParkingCollector(Collector):
    """Each consumer's parked events, as last counted; a consumer observed again (a
    projector starting over after an outage) replaces the one of its name."""

    def __init__(self) -> None:
        self.consumers: dict[str, ParkingConsumer] = {}

    def collect(self) -> Iterator[Metric]:
        parked = GaugeMetricFamily(
            "techbank_parked_events",
            "Events a consumer of the bus set aside after failing on them for good",
            labels=["consumer"],
        )
        for name, consumer in sorted(self.consumers.items()):
            parked.add_metric([name], consumer.parked_now)
        yield parked


_PARKING = _ParkingCollector()
REGISTRY.register(_PARKING)


def observe_parking(consumer: ParkingConsumer) -> None:
    """Report how many events `consumer` has parked (0 until it parks any)."""
    _PARKING.consumers[consumer.name] = consumer
