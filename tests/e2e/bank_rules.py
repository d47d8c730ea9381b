"""What each command should answer and do, by docs/api.md: checked fields first (nothing
recorded), then the request id (a repeat answers the first answer; another command under
it is refused), then the account's rules; a transfer's steps as command_server.transfers
takes them, with the fixes issue 22 asks for (an id that names no account is refused
before anything is debited)."""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from tests.e2e.bank_checks import field_checks, key_of
from tests.e2e.bank_model import (
    ACCOUNT_NOT_FOUND,
    MAX_CENTS,
    OK,
    OPEN,
    Account,
    Expected,
    Status,
    Transfer,
    canonical,
    invalid,
    nfc,
)

REUSED = Expected.refused(Status.INVALID_ARGUMENT, "REQUEST_ID_REUSED")
CLOSED = Expected.refused(Status.FAILED_PRECONDITION, "ACCOUNT_CLOSED")
OVERFLOW = frozenset({"BALANCE_OVERFLOW"})
Apply = Callable[[Any], None]  # takes the response of a success, checks it, changes the model


@dataclass
class Decision:
    expected: Expected
    apply: Apply = lambda _response: None
    replays: Any = None  # a repeat: the first answer's response, to be answered again


@dataclass
class Recorded:
    key: tuple[object, ...]
    expected: Expected
    response: Any = None


@dataclass
class Bank:
    accounts: dict[str, Account] = field(default_factory=dict)
    transfers: dict[str, Transfer] = field(default_factory=dict)
    requests: dict[str, Recorded] = field(default_factory=dict)

    def account(self, raw: str) -> Account | None:
        return self.accounts.get(canonical(raw) or "")

    def decide(self, rpc: str, request: Any) -> Decision:
        violations = field_checks(rpc, request)
        if violations:
            return Decision(invalid(violations))
        key = key_of(rpc, request)
        first = self.requests.get(request.request_id)
        if first is not None:
            if first.key != key:
                return Decision(REUSED)
            return Decision(first.expected, replays=first.response)
        decision = self._decisions[rpc](self, request)
        return self._recorded(request.request_id, key, decision) if request.request_id else decision

    def _recorded(self, request_id: str, key: tuple[object, ...], decision: Decision) -> Decision:
        def apply(response: Any) -> None:
            decision.apply(response)
            self.requests[request_id] = Recorded(key, decision.expected, response)

        if decision.expected.code != Status.OK:
            self.requests[request_id] = Recorded(key, decision.expected)
        return Decision(decision.expected, apply)

    def _open(self, request: Any) -> Decision:
        def apply(response: Any) -> None:
            assert response.version == 1, response
            opened = Account(response.account_id, nfc(request.holder), request.account_type)
            opened.add("OPENED", request.opening_balance_cents)
            self.accounts[opened.account_id] = opened

        return Decision(OK, apply)

    def _change(self, request: Any, kind: str) -> Decision:
        account = self.account(request.account_id)
        if account is None:
            return Decision(ACCOUNT_NOT_FOUND)
        expected_version = (
            request.expected_version if request.HasField("expected_version") else None
        )
        if expected_version not in (None, account.version):
            return Decision(Expected.refused(Status.ABORTED, "VERSION_MISMATCH"))
        refusal = _account_refusal(account, kind, getattr(request, "amount_cents", 0))
        if refusal is not None:
            return Decision(refusal)

        def apply(response: Any) -> None:
            amount = {"DEPOSIT": 1, "WITHDRAWAL": -1, "CLOSED": 0}[kind] * getattr(
                request, "amount_cents", 0
            )
            account.add(kind, amount, nfc(getattr(request, "reference", "")))
            modelled = (account.account_id, account.version)
            assert (response.account_id, response.version) == modelled, (response, modelled)

        return Decision(OK, apply)

    def _transfer(self, request: Any) -> Decision:
        source, target = (
            self.account(request.source_account_id),
            self.account(request.target_account_id),
        )
        amount, reference = request.amount_cents, nfc(request.reference)
        debit = None if source is None else _account_refusal(source, "WITHDRAWAL", amount)
        if source is None or target is None:
            reasons = frozenset({"ACCOUNT_NOT_FOUND"}) | (debit.reasons if debit else frozenset())
            outcome = Transfer("", "", "", amount, reference, "REFUSED", reasons)
        elif debit is not None:
            outcome = Transfer("", "", "", amount, reference, "REFUSED", debit.reasons, version=2)
        else:
            credit = _account_refusal(target, "DEPOSIT", amount)
            reasons = credit.reasons if credit else frozenset({""})
            status = "REFUSED" if credit else "COMPLETED"
            outcome = Transfer("", "", "", amount, reference, status, reasons, bool(credit), 3)

        def apply(response: Any) -> None:
            answered = response.transfer
            outcome.transfer_id = answered.transfer_id
            outcome.source = canonical(request.source_account_id) or ""
            outcome.target = canonical(request.target_account_id) or ""
            self.transfers[outcome.transfer_id] = outcome
            if outcome.version == 3:
                _move(outcome, source, target)
            assert_transfer(answered, outcome)

        return Decision(OK, apply)

    _decisions: ClassVar[dict[str, Callable[["Bank", Any], Decision]]] = {
        "OpenAccount": _open,
        "DepositFunds": lambda bank, r: bank._change(r, "DEPOSIT"),
        "WithdrawFunds": lambda bank, r: bank._change(r, "WITHDRAWAL"),
        "CloseAccount": lambda bank, r: bank._change(r, "CLOSED"),
        "TransferFunds": _transfer,
    }


def _account_refusal(account: Account, kind: str, amount: int) -> Expected | None:
    """BankAccount's rules, in its order: closed first, then the balance's bounds."""
    if account.status != OPEN:
        return CLOSED
    if kind == "WITHDRAWAL" and amount > account.balance:
        return Expected.refused(Status.FAILED_PRECONDITION, "INSUFFICIENT_FUNDS")
    if kind == "DEPOSIT" and account.balance + amount > MAX_CENTS:
        return Expected.refused(Status.FAILED_PRECONDITION, "BALANCE_OVERFLOW")
    return None


def _move(transfer: Transfer, source: Account | None, target: Account | None) -> None:
    """The debit, and the credit or the refund, on the accounts' statements."""
    assert source is not None and target is not None
    amount, reference, transfer_id = transfer.amount, transfer.reference, transfer.transfer_id
    source.add("TRANSFER_OUT", -amount, reference, transfer_id)
    credited = source if transfer.refunded else target
    credited.add("TRANSFER_IN", amount, reference, transfer_id)


def assert_transfer(answered: Any, transfer: Transfer) -> None:
    """A Transfer message says what the model says of it."""
    wire_status = {"COMPLETED": 2, "REFUSED": 3}[transfer.status]
    assert (answered.status, answered.refusal_reason in transfer.reasons) == (wire_status, True), (
        answered,
        transfer,
    )
    said = (answered.source_account_id, answered.target_account_id, answered.amount_cents)
    assert said == (transfer.source, transfer.target, transfer.amount), (answered, transfer)
    text = (answered.reference, answered.refunded)
    assert text == (transfer.reference, transfer.refunded), (answered, transfer)
    assert transfer.version in (None, answered.version), (answered, transfer)
