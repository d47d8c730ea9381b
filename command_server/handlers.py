"""Command handlers: load the account, let it decide, save what it raised."""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TypeVar

from command_server.domain.account import BankAccount
from command_server.domain.commands import (
    AccountCommand,
    CloseAccount,
    DepositFunds,
    OpenAccount,
    WithdrawFunds,
)
from core.dispatcher import Dispatcher
from core.errors import ConcurrencyError, NotFound
from core.repository import Repository
from core.retry import retry_on_conflict

Accounts = Repository[BankAccount]
C = TypeVar("C", bound=AccountCommand)
UNKNOWN_ACCOUNT = "Incorrect account ID provided!"


@dataclass(frozen=True)
class CommandOutcome:
    account_id: str
    version: int


async def open_account(command: OpenAccount, accounts: Accounts) -> CommandOutcome:
    account = BankAccount.open(
        str(uuid.uuid4()),
        command.holder,
        command.account_type,
        command.opening_balance_cents,
    )
    await accounts.save(account, command.request_id)
    return CommandOutcome(account.id, account.version)


def _deposit(account: BankAccount, command: DepositFunds) -> None:
    account.deposit(command.amount_cents)


def _withdraw(account: BankAccount, command: WithdrawFunds) -> None:
    account.withdraw(command.amount_cents)


def _close(account: BankAccount, _command: CloseAccount) -> None:
    account.close()


async def change_account(
    decide: Callable[[BankAccount, C], None],
    command: C,
    accounts: Accounts,
) -> CommandOutcome:
    """Apply a command to an existing account.

    Without an expected version, a lost race is retried against the fresh state; with
    one, the client asked for exactly that state, so a conflict is its answer.
    """

    async def attempt() -> CommandOutcome:
        account = await accounts.load(command.account_id)
        if account is None:
            raise NotFound(UNKNOWN_ACCOUNT)
        expected = command.expected_version
        if expected is not None and expected != account.version:
            raise ConcurrencyError(
                f"expected_version is {expected} but the account is at version {account.version}"
            )
        decide(account, command)
        await accounts.save(account, command.request_id)
        return CommandOutcome(account.id, account.version)

    if command.expected_version is not None:
        return await attempt()
    return await retry_on_conflict(attempt)


def register_handlers(dispatcher: Dispatcher[CommandOutcome], accounts: Accounts) -> None:
    dispatcher.register(OpenAccount, partial(open_account, accounts=accounts))
    dispatcher.register(DepositFunds, partial(change_account, _deposit, accounts=accounts))
    dispatcher.register(WithdrawFunds, partial(change_account, _withdraw, accounts=accounts))
    dispatcher.register(CloseAccount, partial(change_account, _close, accounts=accounts))
