"""What the `techbank` command prints: for people, or with --json one JSON object per
account or result, a line each. Amounts for people are decimal (12000 cents: 120.00),
computed on integers; in JSON every int64 (cents, versions) is a JSON number; a
statement's movements likewise, one a line."""

import json
import sys
import unicodedata
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Any, TextIO, TypeVar

from techbank_client.models import Account, CommandResult, Movement

SHOWN_ESCAPED = {"Cc", "Zl", "Zp"}  # controls and line breaks: they could rewrite the terminal
Item = TypeVar("Item")


def money(cents: int) -> str:
    """12000 -> "120.00", -5 -> "-0.05": integer arithmetic, never a float."""
    whole, part = divmod(abs(cents), 100)
    return f"{'-' if cents < 0 else ''}{whole}.{part:02d}"


def timestamp(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def shown(text: str) -> str:
    """`text` for a terminal: control and line-break characters as \\u escapes."""
    return "".join(
        f"\\u{ord(c):04x}" if unicodedata.category(c) in SHOWN_ESCAPED else c for c in text
    )


def account_json(account: Account) -> dict[str, Any]:
    return {
        "account_id": account.account_id,
        "holder": account.holder,
        "account_type": str(account.account_type),
        "balance_cents": account.balance_cents,
        "status": str(account.status),
        "opened_at": timestamp(account.opened_at),
        "version": account.version,
    }


def account_line(account: Account) -> str:
    return (
        f"{account.account_id}  {account.account_type:<7}  {account.status:<6}  "
        f"{money(account.balance_cents):>14}  v{account.version:<4}  {shown(account.holder)}"
    )


def account_block(account: Account) -> str:
    fields = {
        "account": account.account_id,
        "holder": shown(account.holder),
        "type": account.account_type,
        "status": account.status,
        "balance": money(account.balance_cents),
        "opened": timestamp(account.opened_at),
        "version": account.version,
    }
    return "\n".join(f"{name:<8}  {value}" for name, value in fields.items())


def movement_json(movement: Movement) -> dict[str, Any]:
    return {
        "version": movement.version,
        "kind": str(movement.kind),
        "amount_cents": movement.amount_cents,
        "balance_cents": movement.balance_cents,
        "occurred_at": timestamp(movement.occurred_at),
        "reference": movement.reference,
        "transfer_id": movement.transfer_id,
    }


def movement_line(movement: Movement) -> str:
    """Version, time, kind, the signed amount and the balance after it, then the texts."""
    sign = "+" if movement.amount_cents > 0 else ""
    line = (
        f"v{movement.version:<4}  {timestamp(movement.occurred_at)}  {movement.kind:<12}  "
        f"{sign + money(movement.amount_cents):>15}  {money(movement.balance_cents):>14}"
    )
    if movement.reference:
        line += f"  {shown(movement.reference)}"
    if movement.transfer_id:
        line += f"  (transfer {movement.transfer_id})"
    return line


class Output:
    def __init__(self, as_json: bool, stream: TextIO | None = None) -> None:
        self.as_json = as_json
        self.stream = stream or sys.stdout

    def json(self, value: dict[str, Any]) -> None:
        self.line(json.dumps(value, default=str))

    def line(self, text: str) -> None:
        print(text, file=self.stream)

    def done(self, result: CommandResult, what: str) -> None:
        """A command's result; `what` says it for people ("deposited 25.00 into")."""
        if self.as_json:
            self.json({"account_id": result.account_id, "version": result.version})
        else:
            self.line(f"{what} {result.account_id} (version {result.version})")

    def one(
        self, item: Item, as_json: Callable[[Item], dict[str, Any]], as_text: Callable[[Item], str]
    ) -> None:
        """One answer (a transfer, a past balance): a JSON object, or text for people."""
        if self.as_json:
            self.json(as_json(item))
        else:
            self.line(as_text(item))

    def account(self, account: Account) -> None:
        if self.as_json:
            self.json(account_json(account))
        else:
            self.line(account_block(account))

    async def accounts(self, found: AsyncIterator[Account]) -> None:
        """Each account as it arrives; for people, then how many."""
        await self._each(found, account_json, account_line, "account")

    async def movements(self, found: AsyncIterator[Movement]) -> None:
        """Each movement of a statement as it arrives; for people, then how many."""
        await self._each(found, movement_json, movement_line, "movement")

    async def _each(
        self,
        found: AsyncIterator[Item],
        as_json: Callable[[Item], dict[str, Any]],
        as_line: Callable[[Item], str],
        noun: str,
    ) -> None:
        count = 0
        async for item in found:
            count += 1
            if self.as_json:
                self.json(as_json(item))
            else:
                self.line(as_line(item))
        if not self.as_json:
            self.line(f"{count} {noun}{'' if count == 1 else 's'}")
