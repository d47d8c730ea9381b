"""The write side under load: opening accounts, spread deposits, one hot account.

Each phase checks afterwards, through the read model, that the money adds up.
"""

import random
import time
import uuid
from collections.abc import Callable
from functools import partial

import grpc

from bench.api import Api, read_at
from bench.load import bounded_gather, closed_loop
from bench.results import Config, Figures, Results, latencies, rate, record_calls
from techbank.account.v1 import account_pb2, commands_pb2

CALL_TIMEOUT = 10.0
DEPOSIT_CENTS = 100
HOT_OPENING_CENTS = 1_000_000_000
# Opening slows down as the event store grows when its indexes are not used (FerretDB on
# SQLite scans whole collections); this keeps the setup of a slow stack bounded.
SETUP_MAX_SECONDS = 60.0


async def open_accounts(api: Api, count: int, cfg: Config, results: Results) -> list[str]:
    """Open up to `count` empty accounts, `cfg.clients` at a time, within SETUP_MAX_SECONDS;
    wait until the read model has them all; their ids."""
    ids: list[str] = []

    async def open_one() -> None:
        result = await _open(api, "Bench Holder")
        ids.append(result.account_id)

    measured = await closed_loop(lambda _: open_one, cfg.clients, SETUP_MAX_SECONDS, total=count)
    scenario = f"OpenAccount, {cfg.clients} clients (setup: {count:,} accounts)"
    record_calls(results, scenario, measured)
    results[scenario, "accounts opened"] = f"{len(ids):,} in {measured.elapsed:.0f} s"
    await bounded_gather([partial(read_at, api, i, 1) for i in ids], cfg.clients)
    return ids


async def opened(api: Api, holder: str, cents: int = 0) -> str:
    """A new account's id."""
    return (await _open(api, holder, cents)).account_id


def _open(
    api: Api, holder: str, cents: int = 0
) -> "grpc.aio.UnaryUnaryCall[commands_pb2.OpenAccountRequest, commands_pb2.OpenAccountResponse]":
    command = commands_pb2.OpenAccountRequest(
        holder=holder,
        account_type=account_pb2.ACCOUNT_TYPE_CURRENT,
        opening_balance_cents=cents,
        request_id=str(uuid.uuid4()),
    )
    return api.commands.OpenAccount(command, timeout=CALL_TIMEOUT)


async def spread_deposits(
    api: Api,
    pool: list[str],
    cfg: Config,
    results: Results,
    figures: Figures,
    *,
    server_cpu: Callable[[], float] | None = None,
) -> None:
    """Deposit to random accounts of `pool`; then each balance must be its deposits' sum.
    With `server_cpu` (the command server's CPU seconds so far), its CPU per deposit too."""
    versions: dict[str, int] = {}

    async def deposit() -> None:
        command = commands_pb2.DepositFundsRequest(
            account_id=random.choice(pool), amount_cents=DEPOSIT_CENTS, request_id=str(uuid.uuid4())
        )
        result = await api.commands.DepositFunds(command, timeout=CALL_TIMEOUT)
        versions[result.account_id] = max(versions.get(result.account_id, 0), result.version)

    cpu_before = server_cpu() if server_cpu else 0.0
    measured = await closed_loop(lambda _: deposit, cfg.clients, cfg.seconds)
    scenario = f"DepositFunds, {cfg.clients} clients, {len(pool)} accounts"
    record_calls(results, scenario, measured)
    figures["deposit"] = measured.rate
    if server_cpu and measured.ok:
        figures["deposit cpu ms"] = (server_cpu() - cpu_before) * 1000 / measured.ok
    ended = time.perf_counter()
    accounts = await bounded_gather(
        [partial(read_at, api, a, v) for a, v in versions.items()], cfg.clients
    )
    caught_up = time.perf_counter() - ended
    results[scenario, "read model caught up, after the last answer"] = f"{caught_up * 1000:.0f} ms"
    applied = sum(a.version - 1 for a in accounts)
    wrong = sum(a.balance_cents != DEPOSIT_CENTS * (a.version - 1) for a in accounts)
    results[scenario, "balances check"] = (
        f"{'exact' if not wrong else 'WRONG'}: {wrong} wrong balances; "
        f"{applied:,} deposits applied, {measured.ok:,} answered OK"
    )


async def hot_account(api: Api, cfg: Config, results: Results, figures: Figures) -> None:
    """Every client withdraws 1 cent from one account: each call races all the others."""
    opened = await _open(api, "Bench Hot Account", HOT_OPENING_CENTS)
    await read_at(api, opened.account_id, 1)
    latest = 1

    async def withdraw() -> None:
        nonlocal latest
        command = commands_pb2.WithdrawFundsRequest(
            account_id=opened.account_id, amount_cents=1, request_id=str(uuid.uuid4())
        )
        result = await api.commands.WithdrawFunds(command, timeout=CALL_TIMEOUT)
        latest = max(latest, result.version)

    measured = await closed_loop(lambda _: withdraw, cfg.clients, cfg.seconds)
    scenario = f"WithdrawFunds 1¢, {cfg.clients} clients, 1 hot account"
    results[scenario, "throughput"] = rate(measured)
    results[scenario, "latency p50 / p99"] = latencies(measured, 50, 99)
    figures["hot"] = measured.rate
    results[scenario, "errors"] = measured.error_summary()
    final = await read_at(api, opened.account_id, latest)
    applied = final.version - 1
    exact = final.balance_cents == HOT_OPENING_CENTS - applied
    results[scenario, "final balance check"] = (
        f"{'exact' if exact else 'WRONG'}: {HOT_OPENING_CENTS:,} - {applied:,} = "
        f"{final.balance_cents:,}¢; {applied:,} withdrawals applied, {measured.ok:,} answered OK"
    )
