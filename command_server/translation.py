"""The command side's edge: protobuf messages to domain objects and back, in one place."""

import uuid

from command_server.domain.account import holder_of
from command_server.domain.commands import CloseAccount, DepositFunds, OpenAccount, WithdrawFunds
from command_server.domain.events import AccountType
from command_server.outcome import CommandOutcome
from core.errors import InvalidInput
from techbank.account.v1 import account_pb2, commands_pb2

MAX_REQUEST_ID_LENGTH = 128

ACCOUNT_TYPES = {
    account_pb2.ACCOUNT_TYPE_SAVINGS: AccountType.SAVINGS,
    account_pb2.ACCOUNT_TYPE_CURRENT: AccountType.CURRENT,
}
WIRE_ACCOUNT_TYPES = {domain: wire for wire, domain in ACCOUNT_TYPES.items()}


def account_id_of(raw: str) -> str:
    """The canonical form of a client's account id; INVALID_ARGUMENT unless it is a UUID."""
    try:
        return str(uuid.UUID(raw))
    except ValueError:
        raise InvalidInput(f"account_id must be a UUID, got {raw[:64]!r}") from None


def request_id_of(raw: str) -> str:
    if len(raw) > MAX_REQUEST_ID_LENGTH:
        raise InvalidInput(f"request_id must be at most {MAX_REQUEST_ID_LENGTH} characters")
    return raw


def expected_version_of(message: object) -> int | None:
    if not message.HasField("expected_version"):  # type: ignore[attr-defined]
        return None
    version: int = message.expected_version  # type: ignore[attr-defined]
    if version < 1:
        raise InvalidInput("expected_version must be 1 or more when given")
    return version


def open_account(request: commands_pb2.OpenAccountCommand, client: str = "") -> OpenAccount:
    return OpenAccount(
        holder=holder_of(request.holder),
        account_type=ACCOUNT_TYPES.get(request.account_type),
        opening_balance_cents=request.opening_balance_cents,
        request_id=request_id_of(request.request_id),
        client=client,
    )


def deposit_funds(request: commands_pb2.DepositFundsCommand, client: str = "") -> DepositFunds:
    return DepositFunds(
        account_id=account_id_of(request.account_id),
        amount_cents=request.amount_cents,
        expected_version=expected_version_of(request),
        request_id=request_id_of(request.request_id),
        client=client,
    )


def withdraw_funds(request: commands_pb2.WithdrawFundsCommand, client: str = "") -> WithdrawFunds:
    return WithdrawFunds(
        account_id=account_id_of(request.account_id),
        amount_cents=request.amount_cents,
        expected_version=expected_version_of(request),
        request_id=request_id_of(request.request_id),
        client=client,
    )


def close_account(request: commands_pb2.CloseAccountCommand, client: str = "") -> CloseAccount:
    return CloseAccount(
        account_id=account_id_of(request.account_id),
        expected_version=expected_version_of(request),
        request_id=request_id_of(request.request_id),
        client=client,
    )


def command_result(outcome: CommandOutcome) -> commands_pb2.CommandResult:
    return commands_pb2.CommandResult(account_id=outcome.account_id, version=outcome.version)
