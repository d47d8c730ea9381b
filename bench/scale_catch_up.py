"""One point of the catch-up curve: N projector processes in one consumer group replay
a backlog from Kafka into a read model of their own, and the read model is watched
until it holds every event.

The rate counts from the last look that found nothing applied yet to the look that
found everything, so that the processes' start and the group's first join (the same
for any N) do not dilute it; the time from launch is reported beside it. The read
model must then hold, for each account, exactly its deposits: a projector that lost
or repeated an event fails the run."""

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench import cpu, infra
from bench.preload import restore
from bench.read_back import POLL_SECONDS, Applied, not_at_history_end, watching
from bench.scale_backlog import Backlog
from harness.processes import ServerProcess
from harness.stack import scratch_read_database
from harness.system import servers_beside

CATCH_UP_LIMIT_SECONDS = 1800


@dataclass(frozen=True)
class CatchUp:
    projectors: int
    events: int  # applied from Kafka (the openings were restored before)
    seconds: float  # from the last look with nothing applied to the last event applied
    from_launch: float  # from starting the processes to the last event applied
    wrong_accounts: int  # accounts whose balance or version is not their history's
    cpu: dict[str, float]  # % of one core, by process, over the whole run

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0


def catch_up(backlog: Backlog, projectors: int, logs: Path) -> CatchUp:
    """Restore the accounts' openings into a new read model, then time `projectors`
    processes replaying the rest of the backlog from Kafka into it."""
    with scratch_read_database("scale") as read_db:
        openings = {"TECHBANK_EVENT_STORE_URL": backlog.openings_url}
        restore(openings | {"TECHBANK_READ_DB_URL": read_db.writer_url})
        env = _projector_env(backlog, read_db.writer_url)
        processes = servers_beside(env, "projector", projectors, logs, f"projectors-{projectors}")
        with watching(read_db.writer_url) as applied, _stopped(processes):
            baseline = applied()
            launched = time.perf_counter()
            for process in processes:
                process.launch()
            before = cpu.sample(_pids(processes))
            first, last = _timed_until(applied, baseline, backlog.events)
            use = cpu.percent_of_a_core(before, cpu.sample(_pids(processes)))
            wrong = not_at_history_end(
                read_db.writer_url, backlog.events // backlog.accounts, backlog.accounts
            )
    return CatchUp(projectors, backlog.events - baseline, last - first, last - launched, wrong, use)


def _projector_env(backlog: Backlog, writer_url: str) -> dict[str, str]:
    return {
        "TECHBANK_EVENT_STORE_URL": backlog.store_url,
        "TECHBANK_EVENT_BUS_URL": backlog.bus_url,
        "TECHBANK_READ_DB_URL": writer_url,
        "TECHBANK_PROJECTOR_GROUP": f"scale-{uuid.uuid4().hex[:12]}",  # from the start
        # Each projector is given a port of its own (harness.system.env_beside).
        "TECHBANK_PROJECTOR_METRICS_ADDRESS": "",
    }


def _pids(processes: list[ServerProcess]) -> dict[str, int]:
    ours = {
        f"projector {n + 1}": p.process.pid
        for n, p in enumerate(processes)
        if p.process is not None
    }
    return ours | infra.pids()


def _timed_until(applied: Applied, baseline: int, total: int) -> tuple[float, float]:
    """When the projectors began to apply (the last look that found nothing applied yet:
    the interval errs long by at most one look), and when all `total` were applied."""
    idle = time.perf_counter()
    deadline = idle + CATCH_UP_LIMIT_SECONDS
    while (now := time.perf_counter()) < deadline:
        count = applied()
        if count <= baseline:
            idle = now
        if count >= total:
            return idle, now
        time.sleep(POLL_SECONDS)
    raise TimeoutError(f"the read model holds {applied():,} of {total:,} events")


@contextmanager
def _stopped(processes: list[ServerProcess]) -> Iterator[None]:
    """Stop the projectors on leaving: SIGTERM, and each must exit cleanly."""
    try:
        yield
    except BaseException:
        for process in processes:
            process.kill()
        raise
    for process in processes:
        if process.stop() != 0:
            raise RuntimeError(f"a projector exited badly:\n{process.log_tail()}")
