"""The checks of a command's fields the command server makes at its edge
(command_server.translation), before anything is recorded; and what makes two requests
the same command, so that one request id may be sent again with it."""

import unicodedata
from typing import Any

from tests.e2e.bank_model import (
    MAX_HOLDER,
    MAX_REQUEST_ID,
    Violation,
    bad,
    canonical,
    nfc,
    reference_refused,
    text_refused,
)


def field_checks(rpc: str, request: Any) -> list[Violation]:
    """The fields the edge refuses (command_server.translation), all at once."""
    found = bad("request_id") if request_id_refused(request.request_id) else []
    if rpc == "OpenAccount":
        found += bad("holder") if text_refused(request.holder, MAX_HOLDER) else []
        found += bad("account_type") if request.account_type not in (1, 2) else []
        return found + (bad("opening_balance_cents") if request.opening_balance_cents < 0 else [])
    if rpc == "TransferFunds":
        return found + _transfer_checks(request)
    found += bad("account_id") if canonical(request.account_id) is None else []
    given = request.HasField("expected_version")
    found += bad("expected_version") if given and request.expected_version < 1 else []
    if rpc == "CloseAccount":
        return found
    found += bad("amount_cents") if request.amount_cents <= 0 else []
    return found + (bad("reference") if reference_refused(request.reference) else [])


def request_id_refused(request_id: str) -> bool:
    """Over MAX_REQUEST_ID characters, or holding a control character (docs/api.md)."""
    controls = any(unicodedata.category(ch) == "Cc" for ch in request_id)
    return len(request_id) > MAX_REQUEST_ID or controls


def _transfer_checks(request: Any) -> list[Violation]:
    source, target = request.source_account_id, request.target_account_id
    found = bad("source_account_id") if canonical(source) is None else []
    found += bad("target_account_id") if canonical(target) is None else []
    found += bad("amount_cents") if request.amount_cents <= 0 else []
    found += bad("reference") if reference_refused(request.reference) else []
    same = (canonical(source) or source) == (canonical(target) or target)
    return found + (bad("target_account_id", "SAME_ACCOUNT") if same else [])


def key_of(rpc: str, request: Any) -> tuple[object, ...]:
    """What makes two requests the same command (core.requests.fingerprint): the checked
    fields as the server reads them (ids canonical, text in NFC), less the request id."""
    if rpc == "OpenAccount":
        return (rpc, nfc(request.holder), request.account_type, request.opening_balance_cents)
    if rpc == "TransferFunds":
        ids = (canonical(request.source_account_id), canonical(request.target_account_id))
        return (rpc, *ids, request.amount_cents, nfc(request.reference))
    version = request.expected_version if request.HasField("expected_version") else None
    money = () if rpc == "CloseAccount" else (request.amount_cents, nfc(request.reference))
    return (rpc, canonical(request.account_id), version, *money)
