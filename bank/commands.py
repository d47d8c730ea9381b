"""What a client asks of a bank account.

`request_id` identifies the request among those of `client`, the authenticated caller
("" where the server authenticates nobody).
"""

from dataclasses import dataclass

from bank.events import AccountType


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
    reference: str = ""
    transfer_id: str = ""  # set by the transfer process only, for its steps


@dataclass(frozen=True)
class WithdrawFunds:
    account_id: str
    amount_cents: int
    expected_version: int | None
    request_id: str
    client: str = ""
    reference: str = ""
    transfer_id: str = ""  # set by the transfer process only, for its steps


@dataclass(frozen=True)
class CloseAccount:
    account_id: str
    expected_version: int | None
    request_id: str
    client: str = ""


@dataclass(frozen=True)
class RefundTransfer:
    """A transfer's debit comes back to its source account (the transfer process only)."""

    account_id: str
    amount_cents: int
    transfer_id: str
    reference: str
    request_id: str
    client: str = ""
    expected_version: None = None


@dataclass(frozen=True)
class TransferFunds:
    source_account_id: str
    target_account_id: str
    amount_cents: int
    reference: str
    request_id: str
    client: str = ""


AccountCommand = DepositFunds | WithdrawFunds | CloseAccount | RefundTransfer
