"""`python -m command_server.ledger` (or `techbank-admin ledger`): does the event store's
money add up?

Money enters the bank by openings and client deposits and leaves by client
withdrawals; transfers only move it, through the steps their account events record
(command_server.transfers). So, over the whole store, at any moment:

    sum of balances + money in flight == money in - money out

where a transfer's money is in flight between its debit and its credit or refund.
And every transfer's steps match how it stands: a completed one was debited and
credited once each; a refused one moved nothing, or was debited and refunded once
each; one under way has taken a prefix of its steps, none twice. Prints what does not
hold and exits 1 if anything does not. It reads TECHBANK_EVENT_STORE_URL only.
"""

import argparse
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from adapters.command_line import Tool
from adapters.factories import open_event_store
from adapters.settings import Settings, configure_logging
from bank.account import BankAccount
from bank.events import AccountOpened, FundsDeposited, FundsWithdrawn
from bank.transfer import Transfer, TransferStatus
from bank.wire import ProtobufEventCodec, in_current_shapes
from core.event_store import EventStore, in_chunks
from core.events import StoredEvent

CODEC = ProtobufEventCodec()
Step = tuple[str, str, int]  # "out" or "in", the account, the cents


@dataclass
class Ledger:
    money_in: int = 0
    money_out: int = 0
    balances: int = 0
    # transfer id -> its steps as the accounts record them: (kind, account id, cents) -> how often
    steps: dict[str, Counter[Step]] = field(default_factory=lambda: defaultdict(Counter))
    in_flight: int = 0
    transfers: dict[str, Transfer] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def add(self, aggregate_id: str, events: list[StoredEvent]) -> None:
        if not events:
            return
        if events[0].aggregate_type == Transfer.AGGREGATE_TYPE:
            transfer = Transfer(aggregate_id)
            transfer.replay(CODEC.decode(e.event_type, e.payload) for e in events)
            self.transfers[aggregate_id] = transfer
            return
        account = BankAccount(aggregate_id)
        decoded = [CODEC.decode(e.event_type, e.payload) for e in events]
        for event in decoded:
            self._count(aggregate_id, event)
        account.replay(decoded)
        self.balances += account.balance_cents

    def _count(self, account_id: str, event: object) -> None:
        match event:
            case AccountOpened(opening_balance_cents=cents):
                self.money_in += cents
            case FundsDeposited(amount_cents=cents, transfer_id=""):
                self.money_in += cents
            case FundsWithdrawn(amount_cents=cents, transfer_id=""):
                self.money_out += cents
            case FundsWithdrawn(amount_cents=cents, transfer_id=transfer_id):
                self.steps[transfer_id][("out", account_id, cents)] += 1
                self.in_flight += cents
            case FundsDeposited(amount_cents=cents, transfer_id=transfer_id):
                self.steps[transfer_id][("in", account_id, cents)] += 1
                self.in_flight -= cents

    def verify(self) -> list[str]:
        """What does not hold, in words; empty when the books balance."""
        problems = list(self.problems)
        if self.balances + self.in_flight != self.money_in - self.money_out:
            problems.append(
                f"balances {self.balances} + in flight {self.in_flight} != "
                f"in {self.money_in} - out {self.money_out}"
            )
        for transfer_id in self.steps.keys() - self.transfers.keys():
            problems.append(f"movements name transfer {transfer_id}, which has no stream")
        for transfer in self.transfers.values():
            problem = _steps_problem(transfer, self.steps.get(transfer.id, Counter()))
            if problem:
                problems.append(f"transfer {transfer.id} ({transfer.status.value}): {problem}")
        return problems

    @property
    def pending(self) -> int:
        return sum(1 for t in self.transfers.values() if t.status is TransferStatus.PENDING)


def _steps_problem(transfer: Transfer, steps: Counter[Step]) -> str:
    """How the steps the accounts record differ from those the transfer's state implies."""
    debit = ("out", transfer.source_account_id, transfer.amount_cents)
    credit = ("in", transfer.target_account_id, transfer.amount_cents)
    refund = ("in", transfer.source_account_id, transfer.amount_cents)
    refusal = transfer.refusal
    if transfer.status is TransferStatus.COMPLETED:
        expected = [Counter({debit: 1, credit: 1})]
    elif transfer.status is TransferStatus.REFUSED:
        expected = [Counter({debit: 1, refund: 1}) if refusal and refusal.refunded else Counter()]
    elif transfer.debited:  # under way: credit or refund may be taken, not yet recorded
        expected = [
            Counter({debit: 1}),
            Counter({debit: 1, credit: 1}),
            Counter({debit: 1, refund: 1}),
        ]
    else:  # under way: the debit may be taken, not yet recorded
        expected = [Counter(), Counter({debit: 1})]
    if +steps in expected:
        return ""
    return f"its accounts record {dict(steps)}, not one of {[dict(e) for e in expected]}"


async def ledger_of(store: EventStore) -> Ledger:
    """The books of every account and transfer in `store`, read chunk by chunk."""
    store = in_current_shapes(store)
    ledger = Ledger()
    async for chunk in in_chunks(store.aggregate_ids()):
        for aggregate_id, events in (await store.load_many(chunk)).items():
            ledger.add(aggregate_id, events)
    return ledger


async def _run(_: argparse.Namespace) -> int:
    settings = Settings()
    configure_logging(settings)
    store = await open_event_store(settings.event_store_url)
    try:
        ledger = await ledger_of(store)
    finally:
        await store.close()
    problems = ledger.verify()
    for problem in problems:
        print(problem)
    print(
        f"ledger: {len(ledger.transfers)} transfer(s), {ledger.pending} under way, "
        f"{ledger.in_flight} cents in flight, {len(problems)} problem(s)"
    )
    return 1 if problems else 0


TOOL = Tool("ledger", "command_server.ledger", __doc__, lambda _: None, _run)

if __name__ == "__main__":
    sys.exit(TOOL.main())
