"""Command handlers: load the account, let it decide, save what it raised.

Every handler decides each request once (see core.idempotency): a repeated request,
sent again to this or another command server, concurrently or later, has one effect
and answers its original result or refusal. Commands on one account take turns
within this process; across processes the event store's optimistic concurrency
decides, and a lost race is retried within the deadline unless the client pinned
an expected version.
"""

import uuid
from collections.abc import Awaitable, Callable
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
from core.errors import ConcurrencyError, DomainError, NotFound
from core.idempotency import decide_once, refuse
from core.keyed_lock import KeyedLock
from core.repository import Repository
from core.requests import request_for
from core.retry import retry_on_conflict

Accounts = Repository[BankAccount]
C = TypeVar("C", bound=AccountCommand)
UNKNOWN_ACCOUNT = "Incorrect account ID provided!"


@dataclass(frozen=True)
class CommandOutcome:
    account_id: str
    version: int


async def open_account(command: OpenAccount, accounts: Accounts) -> CommandOutcome:
    """Open an account under a new random id; its repeats answer that id."""
    request = request_for(command, command.request_id)

    async def attempt() -> CommandOutcome:
        account = BankAccount.open(
            str(uuid.uuid4()),
            command.holder,
            command.account_type,
            command.opening_balance_cents,
        )
        await accounts.save(account, request)
        return CommandOutcome(account.id, account.version)

    return await decide_once(accounts.store, request, attempt, CommandOutcome)


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
    turns: KeyedLock,
) -> CommandOutcome:
    """Apply a command to an existing account."""
    request = request_for(command, command.request_id)

    async def attempt() -> CommandOutcome:
        account = await accounts.load(command.account_id)
        try:
            changed = _decide(decide, account, command)
        except DomainError as refusal:
            version = account.version if account is not None else 0
            await refuse(accounts.store, request, command.account_id, version, refusal)
        await accounts.save(changed, request)
        return CommandOutcome(changed.id, changed.version)

    async with turns.hold(command.account_id):
        if command.expected_version is not None:
            return await decide_once(accounts.store, request, attempt, CommandOutcome)
        return await decide_once(
            accounts.store, request, partial(retry_on_conflict, attempt), CommandOutcome
        )


def _decide(
    decide: Callable[[BankAccount, C], None], account: BankAccount | None, command: C
) -> BankAccount:
    """Let the account decide; every refusal here is a decision about its current state."""
    if account is None:
        raise NotFound(UNKNOWN_ACCOUNT)
    expected = command.expected_version
    if expected is not None and expected != account.version:
        raise ConcurrencyError(
            f"expected_version is {expected} but the account is at version {account.version}"
        )
    decide(account, command)
    return account


def register_handlers(dispatcher: Dispatcher[CommandOutcome], accounts: Accounts) -> None:
    turns = KeyedLock()
    changes: list[tuple[type[AccountCommand], Callable[..., None]]] = [
        (DepositFunds, _deposit),
        (WithdrawFunds, _withdraw),
        (CloseAccount, _close),
    ]
    dispatcher.register(OpenAccount, partial(open_account, accounts=accounts))
    for command_type, decide in changes:
        handler: Callable[[AccountCommand], Awaitable[CommandOutcome]] = partial(
            change_account, decide, accounts=accounts, turns=turns
        )
        dispatcher.register(command_type, handler)
