"""Changes to existing accounts, decided in turns.

Commands on one account queue (core.dispatcher). Those that queued while the account's
last write was under way are decided together, in arrival order, each on the state
the ones before it left, and stored in one write; each caller still gets its own
answer and version. A batch stops where the store refuses it (another process moved
the account on, or a request was decided before): what was stored is answered, the
first command left is answered from its request's record, or, when the account moved
on, the rest are decided again on its latest state: one write path, a command left
over a turn of one. Every handler answers a CommandOutcome.
"""

import asyncio
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bank.account import BankAccount, unknown_account
from bank.commands import (
    AccountCommand,
    CloseAccount,
    DepositFunds,
    RefundTransfer,
    WithdrawFunds,
)
from core.deadline import MAX_PAUSE_SECONDS, seconds_left
from core.dispatcher import Turns
from core.errors import ConcurrencyError, DomainError, kind_of
from core.repository import Decided, Repository
from core.requests import Refusal, replay, request_for


@dataclass(frozen=True)
class CommandOutcome:
    account_id: str
    version: int


Accounts = Repository[BankAccount]
Answer = CommandOutcome | BaseException


def _deposit(account: BankAccount, command: DepositFunds) -> None:
    account.deposit(command.amount_cents, command.reference, command.transfer_id)


def _withdraw(account: BankAccount, command: WithdrawFunds) -> None:
    account.withdraw(command.amount_cents, command.reference, command.transfer_id)


def _refund(account: BankAccount, command: RefundTransfer) -> None:
    account.refund_transfer(command.amount_cents, command.transfer_id, command.reference)


def _close(account: BankAccount, _command: CloseAccount) -> None:
    account.close()


DECISIONS: dict[type[Any], Callable[[BankAccount, Any], None]] = {
    DepositFunds: _deposit,
    WithdrawFunds: _withdraw,
    CloseAccount: _close,
    RefundTransfer: _refund,
}


class AccountChanges:
    def __init__(self, accounts: Accounts) -> None:
        self._accounts = accounts
        self._turns: Turns[AccountCommand, CommandOutcome] = Turns(self._run_turn)

    async def handle(self, command: AccountCommand) -> CommandOutcome:
        return await self._turns.take(command.account_id, command)

    async def _run_turn(self, account_id: str, commands: list[AccountCommand]) -> list[Answer]:
        """Decide and store the commands in turns until each has its answer. When a turn
        stores none of them, its first was decided before (it is answered from its
        record) or the account moved on (the rest are decided again on the latest state,
        until the call's deadline): a command left over is a turn of its own, the same
        one write."""
        answers: list[Answer] = []
        latest, conflicts = False, 0
        while commands:
            stored, decided = await self._together(account_id, commands, latest)
            answers += decided
            commands, latest = commands[stored:], False
            if commands and not stored:
                answer = await self._recorded_answer(commands[0], conflicts)
                if answer is None:  # the account moved on: look again
                    latest, conflicts = True, conflicts + 1
                    continue
                answers.append(answer)
                commands = commands[1:]
        return answers

    async def _together(
        self, account_id: str, commands: list[AccountCommand], latest: bool
    ) -> tuple[int, list[Answer]]:
        """Decide the commands in turn on the account (as last seen, or the `latest`) and
        store them; how many were stored (from the first), and their answers."""
        account = await self._load(account_id, latest)
        decided, answers = _decide_all(account, commands)
        if not latest and any(isinstance(answer, DomainError) for answer in answers):
            # A refusal is recorded for good: decide again on the latest state.
            account = await self._load(account_id, latest=True)
            decided, answers = _decide_all(account, commands)
        stored = await self._accounts.save_in_turn(account, decided)
        return stored, answers[:stored]

    async def _load(self, account_id: str, latest: bool) -> BankAccount:
        found = await self._accounts.load(account_id, latest=latest)
        return found or self._accounts.new(account_id)

    async def _recorded_answer(self, command: AccountCommand, conflicts: int) -> Answer | None:
        """The answer recorded for a command its turn could not store; None when nothing
        is recorded (the account moved on) and the deadline leaves time to try again."""
        request = request_for(command, command.request_id, command.client)
        outcome = await self._accounts.store.outcome(request.key)
        if outcome is None:
            pause = random.uniform(0, min(0.002 * conflicts, MAX_PAUSE_SECONDS))
            if seconds_left() > pause:
                await asyncio.sleep(pause)
                return None
            return ConcurrencyError(f"{command.account_id} kept moving on; try again")
        try:
            return replay(outcome, request, CommandOutcome)
        except DomainError as refused:
            return refused


def _decide_all(
    account: BankAccount, commands: list[AccountCommand]
) -> tuple[list[Decided], list[Answer]]:
    decided: list[Decided] = []
    answers: list[Answer] = []
    for command in commands:
        request = request_for(command, command.request_id, command.client)
        raised = len(account.pending_events)
        try:
            decide(account, command)
        except DomainError as refusal:
            decided.append((request, Refusal(kind_of(refusal), refusal.message)))
            answers.append(refusal)
            continue
        decided.append((request, len(account.pending_events) - raised))
        answers.append(CommandOutcome(account.id, account.version))
    return decided, answers


def decide(account: BankAccount, command: AccountCommand) -> None:
    """Let the account decide; every refusal here is a decision about its current state."""
    if account.version == 0:
        raise unknown_account()
    expected = command.expected_version
    if expected is not None and expected != account.version:
        raise ConcurrencyError(
            f"expected_version is {expected} but the account is at version {account.version}"
        )
    DECISIONS[type(command)](account, command)
