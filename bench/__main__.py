"""`python -m bench`: start each stack as the e2e tests do, measure it over gRPC, report.

The markdown table goes to stdout and into docs/benchmarks.md; progress goes to stderr.
The real stack needs Kafka, FerretDB and MariaDB running (`infra/stack.sh up`).
"""

import argparse
import asyncio
import dataclasses
import shlex
import sys
import time
import traceback
from pathlib import Path

from bench.preload import Preloaded, preload, preload_rows
from bench.report import environment, python_command, table, write
from bench.results import Config, Results, positive
from bench.run import measure
from bench.stack import STACKS, running_stack
from harness.processes import REPO

FAILED = ("Run", "FAILED")


def parse(argv: list[str]) -> argparse.Namespace:
    defaults = Config()
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--stack", choices=[*STACKS, "both"], default="both")
    parser.add_argument("--clients", type=positive, default=defaults.clients)
    parser.add_argument("--seconds", type=float, default=defaults.seconds, help="per timed phase")
    parser.add_argument("--accounts", type=positive, default=defaults.accounts)
    parser.add_argument("--deposit-accounts", type=positive, default=defaults.deposit_accounts)
    parser.add_argument("--ryw-samples", type=positive, default=defaults.ryw_samples)
    parser.add_argument("--page-size", type=positive, default=defaults.page_size)
    parser.add_argument(
        "--preload-events", type=int, default=0, help="history in the store before it starts"
    )
    parser.add_argument("--preload-accounts", type=int, default=0, help="over this many accounts")
    parser.add_argument("--repeat", type=positive, default=1, help="runs per stack, each fresh")
    parser.add_argument("--output", type=Path, default=REPO / "docs" / "benchmarks.md")
    parser.add_argument("--no-write", action="store_true", help="print only; leave --output be")
    return parser.parse_args(argv)


def main(argv: list[str]) -> None:
    args = parse(argv)
    cfg = Config(**{f.name: getattr(args, f.name) for f in dataclasses.fields(Config)})
    stacks = list(STACKS) if args.stack == "both" else [args.stack]
    runs: dict[str, Results] = {}
    started = time.monotonic()
    # Runs alternate between the stacks, so that a slow spell of a shared machine is
    # less likely to fall on one stack only; the table groups them by stack.
    for run in range(1, args.repeat + 1):
        for stack in stacks:
            label = f"{stack} #{run}" if args.repeat > 1 else stack
            runs[label] = _measure_stack(stack, cfg, label)
    runs = dict(sorted(runs.items(), key=lambda item: stacks.index(item[0].split()[0])))
    failed = [label for label, results in runs.items() if FAILED in results]
    command = shlex.join([python_command(), "-m", "bench", *argv])
    generated = f"{environment(command, stacks)}\n\n{table(runs)}"
    print(generated)
    if not args.no_write:
        write(args.output, generated)
    print(f"bench: done in {time.monotonic() - started:.0f} s", file=sys.stderr)
    if failed:
        sys.exit(f"bench: failed: {', '.join(failed)}")


def _measure_stack(stack: str, cfg: Config, label: str) -> Results:
    def say(what: str) -> None:
        print(f"bench [{label}]: {what}", file=sys.stderr, flush=True)

    preloaded: list[Preloaded] = []

    def prepare(env: dict[str, str]) -> None:
        say(f"preloading {cfg.preload_events:,} events over {cfg.preload_accounts:,} accounts")
        preloaded.append(preload(env, cfg.preload_events, cfg.preload_accounts))

    say("starting the servers")
    try:
        with running_stack(stack, prepare if cfg.preload_events else None) as running:
            results = asyncio.run(measure(running, cfg, say))
            say("stopping the servers")
    except Exception as error:  # one stack failing should not lose the other's figures
        traceback.print_exc()
        say(f"FAILED: {error}")
        return {FAILED: _first_cause(error)}
    return preload_rows(preloaded[0]) | results if preloaded else results


def _first_cause(error: BaseException) -> str:
    """The error that started it all: a failed start is often followed by a failed cleanup."""
    while error.__context__ is not None and not error.__suppress_context__:
        error = error.__context__
    first_line = (str(error).splitlines() or [""])[0]
    return f"{type(error).__name__}: {first_line}"


if __name__ == "__main__":
    main(sys.argv[1:])
