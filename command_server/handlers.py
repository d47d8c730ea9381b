"""The command side's handlers: opening an account here (changes to one in
command_server.account_changes), the transfer messages, and an account's past replayed
from the event store (its state as of a moment).

Every handler decides each request once (see core.requests): a repeated request,
sent again to this or another command server, concurrently or later, has one effect
and answers its original result or refusal.
"""

import asyncio
import itertools
import uuid
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from bank.account import BankAccount, unknown_account
from bank.commands import (
    CloseAccount,
    DepositFunds,
    OpenAccount,
    RefundTransfer,
    TransferFunds,
    WithdrawFunds,
)
from bank.transfer import Transfer
from command_server.account_changes import AccountChanges, Accounts, CommandOutcome
from command_server.transfers import TransferProcess
from core.deadline import seconds_left
from core.dispatcher import Dispatcher
from core.event_store import EventStore, stream_of
from core.repository import EventCodec
from core.requests import decide_once, request_for


async def open_account(command: OpenAccount, accounts: Accounts) -> CommandOutcome:
    """Open an account under a new random id; its repeats answer that id."""
    request = request_for(command, command.request_id, command.client)

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


def register_handlers(dispatcher: Dispatcher[CommandOutcome], accounts: Accounts) -> None:
    changes = AccountChanges(accounts)
    dispatcher.register(OpenAccount, partial(open_account, accounts=accounts))
    dispatcher.register(DepositFunds, changes.handle)
    dispatcher.register(WithdrawFunds, changes.handle)
    dispatcher.register(CloseAccount, changes.handle)
    dispatcher.register(RefundTransfer, changes.handle)


# Kept back from the caller's deadline to answer PENDING before it passes.
ANSWER_MARGIN_SECONDS = 0.25


@dataclass(frozen=True)
class GetTransfer:
    transfer_id: str


async def transfer_funds(command: TransferFunds, process: TransferProcess) -> Transfer:
    """Record the transfer (once per request), drive it, and answer how it stands when it
    has ended or the caller's deadline is near; the driving goes on either way."""
    transfer_id = await process.request(command)
    driving = process.drive(transfer_id)
    done, _ = await asyncio.wait({driving}, timeout=max(seconds_left() - ANSWER_MARGIN_SECONDS, 0))
    if done and driving.exception() is None:
        return driving.result()
    # Not ended yet, or its driving stopped short (logged; the bus takes it up again or
    # parks it): the transfer as it stands.
    return await process.get(transfer_id)


async def get_transfer(query: GetTransfer, process: TransferProcess) -> Transfer:
    return await process.get(query.transfer_id)


def register_transfer_handlers(dispatcher: Dispatcher[Transfer], process: TransferProcess) -> None:
    dispatcher.register(TransferFunds, partial(transfer_funds, process=process))
    dispatcher.register(GetTransfer, partial(get_transfer, process=process))


@dataclass(frozen=True)
class GetBalanceAsOf:
    account_id: str
    as_of: datetime


async def account_as_of(query: GetBalanceAsOf, store: EventStore, codec: EventCodec) -> BankAccount:
    """The account after every event that occurred at or before the moment (the first of
    its events after it ends the replay: a stream's order is its versions'). NotFound if
    it had none by then, or the id is not an account's."""
    history = stream_of(await store.load(query.account_id), BankAccount.AGGREGATE_TYPE)
    until = itertools.takewhile(lambda event: event.occurred_at <= query.as_of, history)
    account = BankAccount(query.account_id)
    account.replay(codec.decode(event.event_type, event.payload) for event in until)
    if account.version == 0:
        raise unknown_account({"asOf": query.as_of.isoformat()})
    return account
