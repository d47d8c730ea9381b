"""Command handlers: load the account, let it decide, save what it raised.

Every handler is idempotent on the client's request id: a repeated request (same
id, same content) has one effect and answers the original result. Commands on one
account take turns within this process; across processes the event store's
optimistic concurrency decides, and a lost race is retried within the deadline
unless the client pinned an expected version.
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
from core.errors import ConcurrencyError, NotFound
from core.idempotency import earlier_events, fingerprint
from core.keyed_lock import KeyedLock
from core.repository import Repository
from core.retry import retry_on_conflict

Accounts = Repository[BankAccount]
C = TypeVar("C", bound=AccountCommand)
UNKNOWN_ACCOUNT = "Incorrect account ID provided!"
# Account ids derived from request ids: a repeated OpenAccount targets the same account.
REQUEST_NAMESPACE = uuid.UUID("6f1c1f5e-3b7a-4c61-9a43-2f0d8e6b9c10")


@dataclass(frozen=True)
class CommandOutcome:
    account_id: str
    version: int


async def _earlier_outcome(
    accounts: Accounts, request_id: str, digest: str
) -> CommandOutcome | None:
    if not request_id:
        return None
    events = await earlier_events(accounts.store, request_id, digest)
    return CommandOutcome(events[-1].aggregate_id, events[-1].version) if events else None


def _request_id_or_new(request_id: str) -> str:
    return request_id or str(uuid.uuid4())


async def open_account(command: OpenAccount, accounts: Accounts) -> CommandOutcome:
    digest = fingerprint(command)

    async def attempt() -> CommandOutcome:
        if earlier := await _earlier_outcome(accounts, command.request_id, digest):
            return earlier
        account = BankAccount.open(
            _new_account_id(command.request_id),
            command.holder,
            command.account_type,
            command.opening_balance_cents,
        )
        await accounts.save(account, _request_id_or_new(command.request_id), digest)
        return CommandOutcome(account.id, account.version)

    return await retry_on_conflict(attempt)


def _new_account_id(request_id: str) -> str:
    return str(uuid.uuid5(REQUEST_NAMESPACE, request_id) if request_id else uuid.uuid4())


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
    digest = fingerprint(command)

    async def attempt() -> CommandOutcome:
        if earlier := await _earlier_outcome(accounts, command.request_id, digest):
            return earlier
        account = await accounts.load(command.account_id)
        if account is None:
            raise NotFound(UNKNOWN_ACCOUNT)
        expected = command.expected_version
        if expected is not None and expected != account.version:
            raise ConcurrencyError(
                f"expected_version is {expected} but the account is at version {account.version}"
            )
        decide(account, command)
        await accounts.save(account, _request_id_or_new(command.request_id), digest)
        return CommandOutcome(account.id, account.version)

    async with turns.hold(command.account_id):
        if command.expected_version is not None:
            return await attempt()
        return await retry_on_conflict(attempt)


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
