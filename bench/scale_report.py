"""bench.scale's tables: each point's median run, every round's rate, and the CPU."""

from bench.repeated import Repeated
from bench.scale_backlog import PARTITIONS
from bench.scale_catch_up import CatchUp
from bench.scale_commands import CommandLoad, CommandPoint


def catch_up_table(curve: list[Repeated[CatchUp]], backlog: int, accounts: int) -> str:
    base = curve[0].median.rate or 1.0
    lines = [
        f"Catch-up of a {backlog:,}-event backlog on a topic of {PARTITIONS} partitions, by one"
        f" consumer group: {curve[0].median.events:,} events applied, the {accounts:,}"
        " accounts' openings having been restored into each new read model beforehand."
        f" The median of {len(curve[0].rates)} rounds, and each round's rate:",
        "",
        "| projectors | events/s | vs the first | every round | applying"
        " | from launch | read model | CPU, % of one core |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for repeated in curve:
        point = repeated.median
        wrong = sum(run.wrong_accounts for run in repeated.runs)
        check = "exact" if not wrong else f"WRONG: {wrong} accounts"
        lines.append(
            f"| {point.projectors} | {point.rate:,.0f} | {point.rate / base:.2f}x"
            f" | {repeated.every_round()} | {point.seconds:.1f} s | {point.from_launch:.1f} s"
            f" | {check}{repeated.of_all()} | {_cpu(point.cpu)} |"
        )
    return "\n".join(lines)


def command_table(points: list[Repeated[CommandPoint]], load: CommandLoad) -> str:
    base = points[0].median.measured.rate or 1.0
    lines = [
        f"DepositFunds, {load.clients} concurrent calls over {load.accounts:,} accounts,"
        f" {load.seconds:.0f} s per point, one projector beside. The median of"
        f" {len(points[0].rates)} rounds, and each round's rate:",
        "",
        "| command servers | spread | deposits/s | vs the first | every round | p50 / p99"
        " | errors | balances | CPU, % of one core |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for repeated in points:
        point, measured = repeated.median, repeated.median.measured
        wrong = sum(run.wrong_balances for run in repeated.runs)
        check = "exact" if not wrong else f"WRONG: {wrong}"
        lines.append(
            f"| {point.servers} | {point.route} | {measured.rate:,.0f}"
            f" | {measured.rate / base:.2f}x | {repeated.every_round()}"
            f" | {measured.percentile_ms(50):.1f} / {measured.percentile_ms(99):.1f} ms"
            f" | {measured.error_summary()} | {check}{repeated.of_all()}, {point.applied:,}"
            f" applied | {_cpu(point.cpu)} |"
        )
    return "\n".join(lines)


def _cpu(percent: dict[str, float]) -> str:
    return ", ".join(f"{name} {value:.0f}" for name, value in percent.items())
