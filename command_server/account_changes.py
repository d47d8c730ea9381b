"""Changes to existing accounts, decided in turns.

Commands on one account queue (core.dispatcher). Those that queued while the account's
last write was under way are decided together, in arrival order, each on the state
the ones before it left, and stored in one write; each caller still gets its own
answer and version. A batch stops where the store refuses it (another process moved
the account on, or a request was decided before): what was stored is answered, the
first command left is decided alone (it reloads, retries, or answers from the
request's record), and the rest go on in turn. Every handler answers a CommandOutcome.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from bank.account import BankAccount, unknown_account
from bank.commands import (
    AccountCommand,
    CloseAccount,
    DepositFunds,
    RefundTransfer,
    WithdrawFunds,
)
from core.deadline import retry_on_conflict
from core.dispatcher import Turns
from core.errors import ConcurrencyError, DomainError, kind_of
from core.repository import Decided, Repository
from core.requests import Refusal, decide_once, refuse, request_for


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
        answers: list[Answer] = []
        while commands:
            stored, decided = await self._together(account_id, commands)
            answers += decided
            commands = commands[stored:]
            if commands and not stored:
                answers.append(await self._alone(commands[0]))
                commands = commands[1:]
        return answers

    async def _together(
        self, account_id: str, commands: list[AccountCommand]
    ) -> tuple[int, list[Answer]]:
        """Decide the commands in turn on the account and store them; how many were
        stored (from the first), and their answers."""
        account = await self._accounts.load(account_id) or self._accounts.new(account_id)
        decided, answers = _decide_all(account, commands)
        if any(isinstance(answer, DomainError) for answer in answers):
            # A refusal is recorded for good: decide again on the latest state.
            account = await self._load_latest(account_id)
            decided, answers = _decide_all(account, commands)
        stored = await self._accounts.save_in_turn(account, decided)
        return stored, answers[:stored]

    async def _load_latest(self, account_id: str) -> BankAccount:
        latest = await self._accounts.load(account_id, latest=True)
        return latest or self._accounts.new(account_id)

    async def _alone(self, command: AccountCommand) -> Answer:
        try:
            return await change_alone(command, self._accounts)
        except Exception as error:
            return error


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


async def change_alone(command: AccountCommand, accounts: Accounts) -> CommandOutcome:
    """Apply one command by itself: the path where a turn's batch could not be stored."""
    request = request_for(command, command.request_id, command.client)

    async def attempt() -> CommandOutcome:
        account = await accounts.load(command.account_id, latest=True)
        changed = account or accounts.new(command.account_id)
        try:
            decide(changed, command)
        except DomainError as refusal:
            await refuse(accounts.store, request, command.account_id, changed.version, refusal)
        await accounts.save(changed, request)
        return CommandOutcome(changed.id, changed.version)

    if command.expected_version is not None:
        return await decide_once(accounts.store, request, attempt, CommandOutcome)
    return await decide_once(
        accounts.store, request, partial(retry_on_conflict, attempt), CommandOutcome
    )
