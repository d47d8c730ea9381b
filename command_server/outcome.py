"""What a command handler answers, and the words both handlers use."""

from dataclasses import dataclass

UNKNOWN_ACCOUNT = "Incorrect account ID provided!"
ACCOUNT_NOT_FOUND = "ACCOUNT_NOT_FOUND"  # its reason (ErrorInfo.reason)


@dataclass(frozen=True)
class CommandOutcome:
    account_id: str
    version: int
