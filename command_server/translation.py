"""The command side's edge: protobuf messages to domain objects and back, in one place."""

import unicodedata
from typing import TypeVar

from bank.account import (
    account_id_of,
    account_type_of,
    amount_of,
    holder_of,
    opening_balance_of,
    reference_of,
)
from bank.commands import (
    CloseAccount,
    DepositFunds,
    OpenAccount,
    TransferFunds,
    WithdrawFunds,
)
from bank.transfer import checked_request
from bank.wire import ACCOUNT_TYPES
from core.errors import Checks, InvalidInput
from techbank.account.v1 import commands_pb2, transfers_pb2

MAX_REQUEST_ID_LENGTH = 128


def request_id_of(raw: str) -> str:
    """A client's request id: at most MAX_REQUEST_ID_LENGTH characters, none a control
    character (no store keeps a NUL in text alike: FerretDB's PostgreSQL keeps none)."""
    if len(raw) > MAX_REQUEST_ID_LENGTH:
        message = f"request_id must be at most {MAX_REQUEST_ID_LENGTH} characters"
        raise InvalidInput(message, field="request_id")
    control = next((i for i, ch in enumerate(raw) if unicodedata.category(ch) == "Cc"), None)
    if control is not None:
        found = f"U+{ord(raw[control]):04X} at position {control}"
        message = f"request_id must not contain control characters; found {found}"
        raise InvalidInput(message, field="request_id")
    return raw


def expected_version_of(message: object) -> int | None:
    if not message.HasField("expected_version"):  # type: ignore[attr-defined]
        return None
    version: int = message.expected_version  # type: ignore[attr-defined]
    if version < 1:
        raise InvalidInput(
            "expected_version must be 1 or more when given", field="expected_version"
        )
    return version


# Each request's fields are all checked before any is refused (core.errors.Checks).


def open_account(request: commands_pb2.OpenAccountRequest, client: str = "") -> OpenAccount:
    check = Checks()
    command = OpenAccount(
        holder=check(lambda: holder_of(request.holder), ""),
        account_type=check(lambda: account_type_of(ACCOUNT_TYPES.get(request.account_type)), None),
        opening_balance_cents=check(lambda: opening_balance_of(request.opening_balance_cents), 0),
        request_id=check(lambda: request_id_of(request.request_id), ""),
        client=client,
    )
    check.done()
    return command


def deposit_funds(request: commands_pb2.DepositFundsRequest, client: str = "") -> DepositFunds:
    return _money_moved(DepositFunds, request, client)


def withdraw_funds(request: commands_pb2.WithdrawFundsRequest, client: str = "") -> WithdrawFunds:
    return _money_moved(WithdrawFunds, request, client)


MoneyMoved = TypeVar("MoneyMoved", DepositFunds, WithdrawFunds)


def _money_moved(
    command_type: type[MoneyMoved],
    request: commands_pb2.DepositFundsRequest | commands_pb2.WithdrawFundsRequest,
    client: str,
) -> MoneyMoved:
    """A deposit or a withdrawal: the same fields, checked the same way."""
    check = Checks()
    command = command_type(
        account_id=check(lambda: account_id_of(request.account_id), ""),
        amount_cents=check(lambda: amount_of(request.amount_cents), 0),
        expected_version=check(lambda: expected_version_of(request), None),
        request_id=check(lambda: request_id_of(request.request_id), ""),
        client=client,
        reference=check(lambda: reference_of(request.reference), ""),
    )
    check.done()
    return command


def transfer_funds(request: transfers_pb2.TransferFundsRequest, client: str = "") -> TransferFunds:
    check = Checks()
    wanted = check(
        lambda: checked_request(
            request.source_account_id,
            request.target_account_id,
            request.amount_cents,
            request.reference,
        ),
        None,
    )
    request_id = check(lambda: request_id_of(request.request_id), "")
    check.done()
    assert wanted is not None
    return TransferFunds(
        wanted.source_account_id,
        wanted.target_account_id,
        wanted.amount_cents,
        wanted.reference,
        request_id,
        client,
    )


def close_account(request: commands_pb2.CloseAccountRequest, client: str = "") -> CloseAccount:
    check = Checks()
    command = CloseAccount(
        account_id=check(lambda: account_id_of(request.account_id), ""),
        expected_version=check(lambda: expected_version_of(request), None),
        request_id=check(lambda: request_id_of(request.request_id), ""),
        client=client,
    )
    check.done()
    return command


CommandRequest = (
    commands_pb2.OpenAccountRequest
    | commands_pb2.DepositFundsRequest
    | commands_pb2.WithdrawFundsRequest
    | commands_pb2.CloseAccountRequest
)


def subject_of(request: CommandRequest) -> dict[str, str]:
    """What a command's error is about, from its request as sent (ErrorInfo metadata)."""
    subject = {"requestId": request.request_id}
    if not isinstance(request, commands_pb2.OpenAccountRequest):
        subject["accountId"] = request.account_id
        if request.HasField("expected_version"):
            subject["expectedVersion"] = str(request.expected_version)
    return {key: value for key, value in subject.items() if value}
