"""What a client asks of a bank account.

`request_id` identifies the request among those of `client`, the authenticated caller
("" where the server authenticates nobody).
"""

from dataclasses import dataclass

from bank.domain.events import AccountType


@dataclass(frozen=True)
class OpenAccount:
    holder: str
    account_type: AccountType | None
    opening_balance_cents: int
    request_id: str
    client: str = ""


@dataclass(frozen=True)
class DepositFunds:
    account_id: str
    amount_cents: int
    expected_version: int | None
    request_id: str
    client: str = ""


@dataclass(frozen=True)
class WithdrawFunds:
    account_id: str
    amount_cents: int
    expected_version: int | None
    request_id: str
    client: str = ""


@dataclass(frozen=True)
class CloseAccount:
    account_id: str
    expected_version: int | None
    request_id: str
    client: str = ""


AccountCommand = DepositFunds | WithdrawFunds | CloseAccount
