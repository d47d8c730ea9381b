"""What a command handler answers."""

from dataclasses import dataclass


@dataclass(frozen=True)
class CommandOutcome:
    account_id: str
    version: int
