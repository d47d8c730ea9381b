"""One measurement of one running stack: the reference legs, then each Techbank phase."""

import asyncio
from collections.abc import Awaitable, Callable
from functools import partial

from bench import cpu
from bench.api import connect
from bench.commands import hot_account, open_accounts, spread_deposits
from bench.memory import peak_rss_mib
from bench.queries import find_by_id, read_your_write, scan_all
from bench.ratios import ratio_rows
from bench.raw import store_legs
from bench.reference import echo_legs
from bench.results import Config, Figures, Results
from bench.snapshots import account_loads
from bench.stack import RunningStack
from bench.transfers import ring_transfers

CPU_SCENARIO = "CPU use, % of one core (200 = both cores busy)"
LOGS_SCENARIO = "Server logs"
MEMORY_SCENARIO = "Memory"
CAUGHT_UP = "read model caught up with the event store"
CATCH_UP_SECONDS = 900


async def measure(stack: RunningStack, cfg: Config, say: Callable[[str], None]) -> Results:
    results: Results = {}
    figures: Figures = {}
    cpu_use: Results = {}  # after the scenarios in the table, not between them
    if cfg.preload_events and stack.name == "embedded":
        say("waiting for the command server to catch the read model up with the store")
        async with asyncio.timeout(CATCH_UP_SECONDS):
            await stack.logged("command_server", CAUGHT_UP)
    command_pid = stack.pids()["command_server"]
    command_cpu = partial(cpu.process_seconds, command_pid)
    async with connect(stack.command_address, stack.query_address) as api:
        say(f"opening {cfg.accounts} accounts")
        ids = await open_accounts(api, cfg.accounts, cfg, results)
        pool = ids[: cfg.deposit_accounts]
        phases: list[tuple[str, Callable[[], Awaitable[None]]]] = [
            ("echo (reference)", partial(echo_legs, cfg, results, figures)),
            (
                "DepositFunds",
                partial(spread_deposits, api, pool, cfg, results, figures, server_cpu=command_cpu),
            ),
            ("WithdrawFunds hot account", partial(hot_account, api, cfg, results, figures)),
            ("TransferFunds", partial(ring_transfers, api, cfg, results, figures)),
            ("read-your-write", partial(read_your_write, api, pool, cfg, results)),
            ("FindAccountById", partial(find_by_id, api, ids, cfg, results, figures)),
            ("FindAllAccounts, 1 client", partial(scan_all, api, cfg, 1, results, figures)),
            (
                f"FindAllAccounts, {cfg.clients} clients",
                partial(scan_all, api, cfg, cfg.clients, results, figures),
            ),
            ("stores and bus (reference)", partial(store_legs, stack.env, cfg, results, figures)),
            ("loading a long history", partial(account_loads, stack.env, results)),
        ]
        for name, phase in phases:
            say(name)
            before = cpu.sample(stack.pids())
            await phase()
            cpu_use[CPU_SCENARIO, name] = _cpu_cell(
                cpu.percent_of_a_core(before, cpu.sample(stack.pids()))
            )
    results |= ratio_rows(figures, cfg)
    results |= cpu_use
    results[MEMORY_SCENARIO, "peak resident memory (VmHWM), MiB"] = _memory_cell(stack)
    results[LOGS_SCENARIO, "WARNING/ERROR lines"] = _log_cell(stack.log_problems())
    return results


def _cpu_cell(percent: dict[str, float]) -> str:
    short = {"command_server": "command", "query_server": "query"}
    return ", ".join(f"{short.get(name, name)} {value:.0f}" for name, value in percent.items())


def _memory_cell(stack: RunningStack) -> str:
    short = {"command_server": "command", "query_server": "query"}
    peaks = peak_rss_mib(stack.pids())
    return ", ".join(f"{short.get(name, name)} {mib:.0f}" for name, mib in peaks.items())


def _log_cell(problems: dict[str, list[str]]) -> str:
    counts = [f"{module} {len(lines)}" for module, lines in problems.items() if lines]
    return ", ".join(counts) or "none"
