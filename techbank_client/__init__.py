"""A typed async client of Techbank's gRPC API, and the `techbank` command (cli.py)."""

from techbank_client.client import DEFAULT_COMMAND_ADDRESS, DEFAULT_QUERY_ADDRESS, TechbankClient
from techbank_client.errors import FieldViolation, TechbankError
from techbank_client.models import (
    Account,
    AccountStatus,
    AccountType,
    BalanceAsOf,
    CommandResult,
    Comparison,
    Movement,
    MovementKind,
    Transfer,
    TransferStatus,
)
from techbank_client.retry import RetryPolicy
from techbank_client.security import Security

__all__ = [
    "DEFAULT_COMMAND_ADDRESS",
    "DEFAULT_QUERY_ADDRESS",
    "Account",
    "AccountStatus",
    "AccountType",
    "BalanceAsOf",
    "CommandResult",
    "Comparison",
    "FieldViolation",
    "Movement",
    "MovementKind",
    "RetryPolicy",
    "Security",
    "TechbankClient",
    "TechbankError",
    "Transfer",
    "TransferStatus",
]
