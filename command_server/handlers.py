"""Command handlers: opening an account here, changes to one in command_server.account_changes.

Every handler decides each request once (see core.idempotency): a repeated request,
sent again to this or another command server, concurrently or later, has one effect
and answers its original result or refusal.
"""

import uuid
from functools import partial

from bank.domain.account import BankAccount
from bank.domain.commands import (
    CloseAccount,
    DepositFunds,
    OpenAccount,
    RefundTransfer,
    WithdrawFunds,
)
from command_server.account_changes import AccountChanges, Accounts
from command_server.outcome import CommandOutcome
from core.dispatcher import Dispatcher
from core.idempotency import decide_once
from core.requests import request_for


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
