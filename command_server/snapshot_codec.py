"""A BankAccount's state as a snapshot stores it (core.aggregate): a small JSON object.

SCHEMA names the object's shape. Change it whenever BankAccount's state changes shape
(a field added, renamed or read differently): snapshots of the old shape are then
ignored, and the account is folded from its events as if there were none.
"""

import json

from bank.domain.account import BankAccount

SCHEMA = "BankAccount/1"


class BankAccountSnapshots:
    schema = SCHEMA

    def encode(self, account: BankAccount) -> bytes:
        state = {
            "holder": account.holder,
            "balance_cents": account.balance_cents,
            "is_open": account.is_open,
        }
        return json.dumps(state, ensure_ascii=False, separators=(",", ":")).encode()

    def decode(self, aggregate_id: str, version: int, state: bytes) -> BankAccount:
        fields = json.loads(state)
        account = BankAccount(aggregate_id)
        account.holder = str(fields["holder"])
        account.balance_cents = int(fields["balance_cents"])
        account.is_open = bool(fields["is_open"])
        account.version = version
        return account
