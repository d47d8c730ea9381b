"""The transfer process (a saga): drives each transfer from its request to its end.

A transfer never spans two accounts in one write. Its steps are account commands,
each decided once under a request id derived from the transfer's id (core.requests),
and each followed by an event on the transfer's own stream that records it:

    debit the source -> TransferDebited -> credit the target -> TransferCompleted
         | refused                              | refused
         v                                      v
    TransferRefused                        refund the source -> TransferRefused(refunded)

Before the debit the target must be an account (an id the store records as a transfer's,
or none, is not): an id is an account for good or never, so every process that looks
decides alike, and a transfer to nowhere is refused with nothing debited. A step that
fails the same way however often it is tried ends the transfer refused (refunded after
the debit); only transient failures (a store away, a race lost) are tried again. A refund
that cannot be taken cannot end the transfer: it fails the drive for good (RefundNotTaken),
and the bus's consumer parks the transfer's event where operators see it (core.parking).

Any process may take the next step of any transfer at any time, as often as it likes:
a step already taken answers its recorded outcome, and a transfer event already
written makes the other writer's append fail and look again. So a transfer killed
between two steps is finished by whoever looks at it next: the call that asked for it
(driving it at once), a repeat of that call, or the bus, whose every delivery of a
transfer's event left under way drives it again (command_server.transfer_recovery).
"""

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import TypeVar

from bank.account import unknown_account
from bank.commands import DepositFunds, RefundTransfer, TransferFunds, WithdrawFunds
from bank.transfer import Transfer
from command_server.account_changes import CommandOutcome
from core.errors import ConcurrencyError, DomainError, NotFound, is_transient
from core.events import StoredEvent
from core.repository import Repository
from core.requests import Request, RequestAlreadyDecided, decide_once, fingerprint, request_for

log = logging.getLogger(__name__)

# The client the steps' requests are recorded under. Callers authenticate as "cert:..."
# or "token:..." (or "" without authentication): none can take a step's request id.
PROCESS_CLIENT = "process:transfers"
UNDER_WAY = frozenset({"TransferRequested", "TransferDebited"})
TRANSFERS = "transfers"  # the process's name as a consumer of the bus (core.parking)
TRANSFER_NOT_FOUND = "TRANSFER_NOT_FOUND"
# The reason a transfer is refused for when a step failed in a way no retry mends (the
# server's log says how); the account's own refusals keep their reasons.
STEP_FAILED = "TRANSFER_STEP_FAILED"

Transfers = Repository[Transfer]
SendCommand = Callable[[object], Awaitable[CommandOutcome]]
IsAccount = Callable[[str], Awaitable[bool]]


class RefundNotTaken(Exception):
    """A refused credit's refund failed for good: the transfer cannot end until it is
    taken, its money in flight (a bug, or a balance at the int64 limit)."""


class TransferProcess:
    def __init__(self, transfers: Transfers, send: SendCommand, is_account: IsAccount) -> None:
        self._transfers = transfers
        self._send = send
        self._is_account = is_account
        self._driving: dict[str, asyncio.Task[Transfer]] = {}

    async def request(self, command: TransferFunds) -> str:
        """Record the transfer once per request; its id (a repeat answers the same)."""
        request = request_for(command, command.request_id, command.client)

        async def attempt() -> str:
            transfer = Transfer.request(
                str(uuid.uuid4()),
                command.source_account_id,
                command.target_account_id,
                command.amount_cents,
                command.reference,
            )
            await self._transfers.save(transfer, request)
            return transfer.id

        return await decide_once(self._transfers.store, request, attempt, _transfer_id)

    async def get(self, transfer_id: str) -> Transfer:
        """The transfer as the event store has it now."""
        transfer = await self._transfers.load(transfer_id, latest=True)
        if transfer is None:
            raise NotFound(f"no transfer {transfer_id}", reason=TRANSFER_NOT_FOUND)
        return transfer

    def drive(self, transfer_id: str) -> asyncio.Task[Transfer]:
        """The task taking the transfer's steps to its end: one per transfer in a process,
        whoever asks; it goes on when the one who asked stops waiting."""
        task = self._driving.get(transfer_id)
        if task is None:
            task = asyncio.create_task(self._drive(transfer_id), name=f"transfer {transfer_id}")
            self._driving[transfer_id] = task
            task.add_done_callback(lambda _: self._driving.pop(transfer_id, None))
            task.add_done_callback(_log_failure)
        return task

    async def resume(self, events: Sequence[StoredEvent]) -> None:
        """Drive every transfer these events leave under way to its end (the bus's
        delivery: at least once, so a transfer whose driver died is finished here)."""
        transfers = under_way(events)
        if transfers:
            await asyncio.gather(*(self.drive(transfer_id) for transfer_id in transfers))

    async def _drive(self, transfer_id: str) -> Transfer:
        """Take steps until the transfer has ended. Each step is decided on the state this
        process last saw (core.repository): if another process moved the transfer on
        meanwhile, recording the step fails, and the next look reads the store."""
        latest = False
        while True:
            transfer = await self._transfers.load(transfer_id, latest=latest)
            if transfer is None:
                raise NotFound(f"no transfer {transfer_id}", reason=TRANSFER_NOT_FOUND)
            if transfer.ended:
                return transfer
            try:
                await self._take_next_step(transfer)
                latest = False
            except (ConcurrencyError, RequestAlreadyDecided):
                log.debug("transfer %s moved on meanwhile; looking again", transfer_id)
                latest = True

    async def _take_next_step(self, transfer: Transfer) -> None:
        if not transfer.debited:
            debit = self._debit_into_an_account(transfer)
            refusal = await self._refusal_of(debit, transfer, "debit")
            if refusal is None:
                transfer.mark_debited()
            else:
                transfer.refuse(refusal.reason, refusal.message)
        else:
            refusal = await self._refusal_of(self._send(_credit(transfer)), transfer, "credit")
            if refusal is None:
                transfer.complete()
            else:
                await self._refund_for_good(transfer)
                transfer.refuse(refusal.reason, refusal.message)
        await self._transfers.save(transfer, _recording(transfer))

    async def _debit_into_an_account(self, transfer: Transfer) -> None:
        if not await self._is_account(transfer.target_account_id):
            raise unknown_account({"accountId": transfer.target_account_id})
        await self._send(_debit(transfer))

    async def _refusal_of(
        self, step: Awaitable[object], transfer: Transfer, name: str
    ) -> DomainError | None:
        """Take an account step; the refusal that ends the transfer, if it is refused or
        fails in a way no retry mends. A transient failure is raised: tried again later."""
        try:
            await step
        except Exception as failure:
            if is_transient(failure):
                raise
            if isinstance(failure, DomainError):
                return failure
            log.exception("transfer %s: its %s failed for good; refusing it", transfer.id, name)
            return DomainError(f"the transfer's {name} could not be taken", reason=STEP_FAILED)
        return None

    async def _refund_for_good(self, transfer: Transfer) -> None:
        try:
            await self._send(_refund(transfer))
        except Exception as failure:
            if is_transient(failure):
                raise
            raise RefundNotTaken(f"the refund of transfer {transfer.id}: {failure!r}") from failure


def _log_failure(task: "asyncio.Task[Transfer]") -> None:
    """A drive that failed (a store down) is taken up again by the bus's next delivery
    or a repeat of the request; say so, whether or not anyone waited for it."""
    if not task.cancelled() and task.exception() is not None:
        log.warning("%s stopped short: %r", task.get_name(), task.exception())


def under_way(events: Iterable[StoredEvent]) -> set[str]:
    """The transfers whose last of these events leaves them under way."""
    last: dict[str, StoredEvent] = {}
    for event in events:
        if event.aggregate_type == Transfer.AGGREGATE_TYPE:
            seen = last.get(event.aggregate_id)
            if seen is None or seen.version < event.version:
                last[event.aggregate_id] = event
    return {transfer_id for transfer_id, e in last.items() if e.event_type in UNDER_WAY}


def _step_id(transfer: Transfer, step: str) -> str:
    return f"transfer/{transfer.id}/{step}"


def _debit(transfer: Transfer) -> WithdrawFunds:
    return _money_step(WithdrawFunds, transfer.source_account_id, transfer, "debit")


def _credit(transfer: Transfer) -> DepositFunds:
    return _money_step(DepositFunds, transfer.target_account_id, transfer, "credit")


Step = TypeVar("Step", DepositFunds, WithdrawFunds)


def _money_step(command: type[Step], account_id: str, transfer: Transfer, step: str) -> Step:
    return command(
        account_id,
        transfer.amount_cents,
        None,
        _step_id(transfer, step),
        PROCESS_CLIENT,
        transfer.reference,
        transfer.id,
    )


def _refund(transfer: Transfer) -> RefundTransfer:
    return RefundTransfer(
        transfer.source_account_id,
        transfer.amount_cents,
        transfer.id,
        transfer.reference,
        _step_id(transfer, "refund"),
        PROCESS_CLIENT,
    )


def _recording(transfer: Transfer) -> Request:
    """The request that records the transfer's newest event: one per version, so that
    two processes recording the same step are one request, decided once."""
    step = transfer.pending_events[-1]
    return Request(_step_id(transfer, f"v{transfer.version}"), fingerprint(step), PROCESS_CLIENT)


def _transfer_id(aggregate_id: str, _version: int) -> str:
    return aggregate_id
