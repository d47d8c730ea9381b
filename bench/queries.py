"""The read side: how far it lags the write side, and how fast it answers."""

import random
import time
import uuid
from functools import partial

from bench.api import Api, read_at
from bench.commands import CALL_TIMEOUT, DEPOSIT_CENTS
from bench.load import Measured, closed_loop, timed
from bench.results import Config, Figures, Results, latencies, record_calls
from techbank.account.v1 import commands_pb2, queries_pb2

# Read-your-write samples run one after another; this bounds them if the projector crawls.
RYW_MAX_SECONDS = 30.0


async def read_your_write(api: Api, pool: list[str], cfg: Config, results: Results) -> None:
    """One client: deposit, then ask for the account at the version the deposit returned.

    The second call's latency is the projection lag the client sees: through the bus and
    the projector into the read database, plus the query server's polling.
    """
    deposits, lags = Measured(), Measured()
    started = time.perf_counter()
    for n in range(cfg.ryw_samples):
        if time.perf_counter() - started > RYW_MAX_SECONDS:
            break
        command = commands_pb2.DepositFundsRequest(
            account_id=pool[n % len(pool)], amount_cents=DEPOSIT_CENTS, request_id=str(uuid.uuid4())
        )
        result = await timed(
            partial(api.commands.DepositFunds, command, timeout=CALL_TIMEOUT), deposits
        )
        if result is not None:
            await timed(partial(read_at, api, result.account_id, result.version), lags)
    deposits.elapsed = lags.elapsed = time.perf_counter() - started
    scenario = f"Read-your-write, 1 client, up to {cfg.ryw_samples} sequential samples"
    results[scenario, "DepositFunds alone, p50 / p95 / p99"] = latencies(deposits, 50, 95, 99)
    results[scenario, "then FindAccountById(min_version), p50 / p95 / p99"] = latencies(
        lags, 50, 95, 99
    )
    results[scenario, "max lag"] = f"{lags.percentile_ms(100):.1f} ms"
    results[scenario, "samples taken; errors"] = (
        f"{lags.ok}; deposit {deposits.error_summary()}, read {lags.error_summary()}"
    )


async def find_by_id(
    api: Api, ids: list[str], cfg: Config, results: Results, figures: Figures
) -> None:
    async def lookup() -> None:
        query = queries_pb2.FindAccountByIdRequest(account_id=random.choice(ids))
        await api.queries.FindAccountById(query, timeout=CALL_TIMEOUT)

    measured = await closed_loop(lambda _: lookup, cfg.clients, cfg.seconds)
    record_calls(results, f"FindAccountById, {cfg.clients} clients, {len(ids)} accounts", measured)
    figures["lookup"] = measured.rate


async def scan_all(api: Api, cfg: Config, clients: int, results: Results, figures: Figures) -> None:
    """`clients` clients each stream every account, again and again, page_size per message."""
    streamed = 0

    async def scan() -> None:
        nonlocal streamed
        query = queries_pb2.FindAllAccountsRequest(page_size=cfg.page_size)
        counted = await _count_streamed(api, query)  # not `streamed += await`: it would
        streamed += counted  # read `streamed` before the await and lose concurrent counts

    measured = await closed_loop(lambda _: scan, clients, cfg.seconds)
    per_second = streamed / measured.elapsed
    scenario = f"FindAllAccounts, page_size {cfg.page_size}, {clients} client(s) scanning"
    results[scenario, "throughput"] = f"{per_second:,.0f} accounts/s"
    results[scenario, "one scan of all accounts, p50 / max"] = (
        f"{measured.percentile_ms(50):.1f} / {measured.percentile_ms(100):.1f} ms "
        f"({streamed // max(measured.ok, 1):,} accounts)"
    )
    results[scenario, "errors"] = measured.error_summary()
    figures[f"scan, {clients} client(s)"] = per_second


async def _count_streamed(api: Api, query: queries_pb2.FindAllAccountsRequest) -> int:
    stream = api.queries.FindAllAccounts(query, timeout=CALL_TIMEOUT)
    return sum([len(page.accounts) async for page in stream])
