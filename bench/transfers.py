"""Transfers under load: clients move money between random accounts of a ring at once.

A transfer is four writes (its request, the debit, the credit, its end), each a round
trip to the event store, taken one after the other; afterwards the ring's money, replayed
from the event store (GetBalanceAsOf now), must be what it was.
"""

import random
import uuid
from datetime import UTC, datetime
from functools import partial

from google.protobuf.timestamp_pb2 import Timestamp

from bench.api import Api
from bench.commands import CALL_TIMEOUT, opened
from bench.load import bounded_gather, closed_loop
from bench.results import Config, Figures, Results, record_calls
from techbank.account.v1 import history_pb2, transfers_pb2

RING = 20
OPENING_CENTS = 1_000_000_000


async def ring_transfers(api: Api, cfg: Config, results: Results, figures: Figures) -> None:
    ring = await bounded_gather(
        [partial(opened, api, "Bench Ring", OPENING_CENTS) for _ in range(RING)], cfg.clients
    )
    statuses: dict[str, int] = {}

    async def transfer() -> None:
        source, target = random.sample(ring, 2)
        request = transfers_pb2.TransferFundsRequest(
            source_account_id=source,
            target_account_id=target,
            amount_cents=random.randint(1, 10_000),
            request_id=str(uuid.uuid4()),
        )
        answer = await api.transfers.TransferFunds(request, timeout=CALL_TIMEOUT)
        status = transfers_pb2.TransferStatus.Name(answer.transfer.status).removeprefix(
            "TRANSFER_STATUS_"
        )
        statuses[status] = statuses.get(status, 0) + 1

    measured = await closed_loop(lambda _: transfer, cfg.clients, cfg.seconds)
    scenario = f"TransferFunds, {cfg.clients} clients, a ring of {RING} accounts"
    record_calls(results, scenario, measured)
    figures["transfer"] = measured.rate
    results[scenario, "answers"] = ", ".join(f"{s} {n:,}" for s, n in sorted(statuses.items()))
    total = sum(await bounded_gather([partial(_balance_now, api, a) for a in ring], cfg.clients))
    exact = total == RING * OPENING_CENTS
    results[scenario, "ring total, from the event store"] = (
        f"{'exact' if exact else 'WRONG'}: {total:,}¢ of {RING * OPENING_CENTS:,}¢"
    )


async def _balance_now(api: Api, account_id: str) -> int:
    now = Timestamp()
    now.FromDatetime(datetime.now(UTC))
    request = history_pb2.GetBalanceAsOfRequest(account_id=account_id, as_of=now)
    answer = await api.history.GetBalanceAsOf(request, timeout=CALL_TIMEOUT)
    return answer.balance_cents
