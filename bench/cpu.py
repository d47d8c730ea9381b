"""CPU time used during a phase, by this client, by each server process and by the machine.

Client and servers share the machine's cores, so where the CPU went says as much as
the rates do; "other" is whatever else kept the cores busy (unmeasured processes,
other users of the machine). Read from /proc, so Linux only.
"""

import os
import time
from dataclasses import dataclass
from pathlib import Path

TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _process_table() -> dict[int, tuple[int, float]]:
    """Every process's parent pid and user plus system CPU seconds."""
    table = {}
    for stat_file in Path("/proc").glob("[0-9]*/stat"):
        try:
            stat = stat_file.read_text()
        except OSError:
            continue  # it exited meanwhile
        fields = stat.rpartition(")")[2].split()  # the command name may hold spaces
        seconds = (int(fields[11]) + int(fields[12])) / TICKS_PER_SECOND
        table[int(stat_file.parent.name)] = (int(fields[1]), seconds)
    return table


def _tree_seconds(table: dict[int, tuple[int, float]], root: int) -> float:
    """CPU seconds of a process and its live descendants (PostgreSQL forks one per client)."""
    children: dict[int, list[int]] = {}
    for pid, (parent, _) in table.items():
        children.setdefault(parent, []).append(pid)
    total, pending = 0.0, [root]
    while pending:
        pid = pending.pop()
        total += table.get(pid, (0, 0.0))[1]
        pending.extend(children.get(pid, []))
    return total


def process_seconds(pid: int) -> float:
    """CPU seconds a process and its live descendants have used so far."""
    return _tree_seconds(_process_table(), pid)


def _machine_busy_seconds() -> float:
    """CPU seconds all cores spent not idle since boot (0 if /proc/stat cannot be read)."""
    try:
        first = Path("/proc/stat").read_text().splitlines()[0].split()
    except OSError:
        return 0.0
    ticks = [int(value) for value in first[1:9]]
    idle = ticks[3] + ticks[4]  # idle and iowait
    return (sum(ticks) - idle) / TICKS_PER_SECOND


@dataclass
class CpuSample:
    wall: float
    client: float
    machine: float
    servers: dict[str, float]


def sample(pids: dict[str, int]) -> CpuSample:
    table = _process_table()
    return CpuSample(
        time.perf_counter(),
        time.process_time(),
        _machine_busy_seconds(),
        {name: _tree_seconds(table, pid) for name, pid in pids.items()},
    )


def percent_of_a_core(before: CpuSample, after: CpuSample) -> dict[str, float]:
    """CPU use between two samples as % of one core (100 = one core busy all the time)."""
    wall = after.wall - before.wall or 1e-9
    use = {
        "machine": after.machine - before.machine,
        "client": after.client - before.client,
        **{name: after.servers.get(name, 0.0) - before.servers[name] for name in before.servers},
    }
    use["other"] = use["machine"] - sum(v for name, v in use.items() if name != "machine")
    return {name: 100 * seconds / wall for name, seconds in use.items()}
