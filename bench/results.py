"""What one run of one stack measured: table cells keyed by (scenario, metric), in order."""

import argparse
from dataclasses import dataclass

from bench.load import Measured

Results = dict[tuple[str, str], str]
# The numbers behind the ratios: calls or accounts per second, by leg ("echo", "deposit"...).
Figures = dict[str, float]


@dataclass(frozen=True)
class Config:
    clients: int = 16
    seconds: float = 10.0
    accounts: int = 1000  # opened before the phases; FindAccountById and the scan use them all
    deposit_accounts: int = 100  # the deposit phase spreads over this many, so conflicts are rare
    ryw_samples: int = 300
    page_size: int = 100
    preload_events: int = 0  # history written to the store before the servers start
    preload_accounts: int = 0


def rate(measured: Measured, unit: str = "ops/s") -> str:
    return f"{measured.rate:,.0f} {unit}"


def latencies(measured: Measured, *percentiles: float) -> str:
    values = " / ".join(f"{measured.percentile_ms(p):.1f}" for p in percentiles)
    return f"{values} ms"


def record_calls(results: Results, scenario: str, measured: Measured) -> None:
    """The usual three cells of a timed phase: rate, p50/p95/p99 latency and errors."""
    results[scenario, "throughput"] = rate(measured)
    results[scenario, "latency p50 / p95 / p99"] = latencies(measured, 50, 95, 99)
    results[scenario, "errors"] = measured.error_summary()


def positive(text: str) -> int:
    """A command-line count: a whole number of 1 or more."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, got {value}")
    return value
