"""One point measured several times: its median run stands for it, and every run's
rate is shown beside, so that a reader sees how much the machine moved."""

import statistics
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

P = TypeVar("P")


@dataclass(frozen=True)
class Repeated(Generic[P]):
    runs: list[P]  # in the order they ran
    rates: list[float]  # each run's rate, in the same order
    median: P  # the run whose rate is the median (the lower middle of an even count)

    @classmethod
    def of(cls, runs: list[P], rate: Callable[[P], float]) -> "Repeated[P]":
        rates = [rate(run) for run in runs]
        middle = statistics.median_low(rates)
        return cls(runs, rates, runs[rates.index(middle)])

    def every_round(self) -> str:
        return " / ".join(f"{rate:,.0f}" for rate in self.rates)

    def of_all(self) -> str:
        """Said after a check that covers every run, when there was more than one."""
        return f" (all {len(self.runs)} runs)" if len(self.runs) > 1 else ""
