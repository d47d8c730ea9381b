"""What each `techbank` subcommand does, given its parsed arguments and an Output."""

import argparse
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from techbank_client.client import TechbankClient
from techbank_client.models import AccountType, Comparison, TransferStatus
from techbank_client.output import Output, money
from techbank_client.security import Security
from techbank_client.transfer_output import (
    balance_block,
    balance_json,
    transfer_block,
    transfer_json,
)

# An account action may return an exit status (None for 0): the call worked, the answer no.
AccountAction = Callable[[TechbankClient, argparse.Namespace, Output], Awaitable[int | None]]
Action = Callable[[argparse.Namespace, Output], Coroutine[Any, Any, int]]
# `transfers send`: 1 when refused (an answer, not a failed call), 3 when still under way
# as the deadline came (see `transfers show`).
TRANSFER_REFUSED = 1
TRANSFER_UNDER_WAY = 3


class SetupError(Exception):
    """The options cannot work (a file that cannot be read, a token without TLS)."""


def security_of(args: argparse.Namespace) -> Security:
    try:
        token = args.token
        if args.token_file:
            with open(args.token_file, encoding="utf-8") as file:
                token = file.read().strip()
        return Security.from_files(
            tls=args.tls,
            ca_file=args.ca_file,
            cert_file=args.cert_file,
            key_file=args.key_file,
            token=token or None,
        )
    except (OSError, ValueError) as error:
        raise SetupError(str(error)) from None


def with_client(action: AccountAction) -> Action:
    """`action` given a client connected as the global options say."""

    async def run(args: argparse.Namespace, output: Output) -> int:
        security = security_of(args)
        async with TechbankClient(
            args.command_address, args.query_address, security=security, deadline=args.deadline
        ) as bank:
            status = await action(bank, args, output)
        return status or 0

    return run


async def open_account(bank: TechbankClient, args: argparse.Namespace, out: Output) -> None:
    result = await bank.open_account(
        args.holder, AccountType(args.type), args.opening_cents, request_id=args.request_id
    )
    out.done(result, "opened account")


async def deposit(bank: TechbankClient, args: argparse.Namespace, out: Output) -> None:
    result = await bank.deposit(
        args.account_id,
        args.cents,
        reference=args.reference,
        expected_version=args.expected_version,
        request_id=args.request_id,
    )
    out.done(result, f"deposited {money(args.cents)} into")


async def withdraw(bank: TechbankClient, args: argparse.Namespace, out: Output) -> None:
    result = await bank.withdraw(
        args.account_id,
        args.cents,
        reference=args.reference,
        expected_version=args.expected_version,
        request_id=args.request_id,
    )
    out.done(result, f"withdrew {money(args.cents)} from")


async def close_account(bank: TechbankClient, args: argparse.Namespace, out: Output) -> None:
    result = await bank.close_account(
        args.account_id, expected_version=args.expected_version, request_id=args.request_id
    )
    out.done(result, "closed account")


async def send_transfer(bank: TechbankClient, args: argparse.Namespace, out: Output) -> int:
    """The transfer as it ended, and the exit status that says how (0 completed)."""
    transfer = await bank.transfer(
        args.source, args.target, args.cents, args.reference, args.request_id
    )
    out.one(transfer, transfer_json, transfer_block)
    if transfer.status is TransferStatus.COMPLETED:
        return 0
    return TRANSFER_REFUSED if transfer.status is TransferStatus.REFUSED else TRANSFER_UNDER_WAY


async def show_transfer(bank: TechbankClient, args: argparse.Namespace, out: Output) -> None:
    out.one(await bank.get_transfer(args.transfer_id), transfer_json, transfer_block)


async def show_balance_as_of(bank: TechbankClient, args: argparse.Namespace, out: Output) -> None:
    balance = await bank.balance_as_of(args.account_id, args.moment)
    out.one(balance, balance_json, balance_block)


async def get_account(bank: TechbankClient, args: argparse.Namespace, out: Output) -> None:
    out.account(await bank.get_account(args.account_id, min_version=args.min_version))


async def list_accounts(bank: TechbankClient, args: argparse.Namespace, out: Output) -> None:
    await out.accounts(bank.all_accounts(page_size=args.page_size))


async def show_statement(bank: TechbankClient, args: argparse.Namespace, out: Output) -> None:
    movements = bank.statement(
        args.account_id, page_size=args.page_size, min_version=args.min_version
    )
    await out.movements(movements)


async def find_accounts(bank: TechbankClient, args: argparse.Namespace, out: Output) -> None:
    if args.holder is not None:
        await out.accounts(bank.find_by_holder(args.holder, page_size=args.page_size))
    elif args.above is not None:
        found = bank.find_with_balance(
            Comparison.GREATER_THAN, args.above, page_size=args.page_size
        )
        await out.accounts(found)
    else:
        found = bank.find_with_balance(Comparison.LESS_THAN, args.below, page_size=args.page_size)
        await out.accounts(found)


async def admin_moved(args: argparse.Namespace, out: Output) -> int:
    """`techbank admin ...`, which was the operator's tools: they are techbank-admin's now."""
    raise SetupError("the operator's tools are `techbank-admin` (or `python -m admin`) now")
