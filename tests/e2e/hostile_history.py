"""The hostile callers' rules for what the command server reads from its event store:
GetTransfer (TransferService) and GetBalanceAsOf (AccountHistoryService), with ids of
either aggregate type and moments at and beyond Timestamp's bounds; and, at the end,
every account and transfer as the event store holds them."""

from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import rule

from techbank.account.v1 import history_pb2 as h
from techbank.account.v1 import transfers_pb2 as t
from tests.e2e.bank_model import (
    ACCOUNT_NOT_FOUND,
    OK,
    Account,
    Expected,
    Status,
    bad,
    canonical,
    invalid,
)
from tests.e2e.bank_rules import assert_transfer
from tests.e2e.hostile_base import ACCOUNT_IDS, Callers, step
from tests.e2e.hostile_values import INVALID_MOMENTS, TS_MAX, TS_MIN, moments, timestamp

TRANSFER_IDS = ("transfer", "transfer", "account", "unknown", "not a uuid")
TRANSFER_NOT_FOUND = Expected.refused(Status.NOT_FOUND, "TRANSFER_NOT_FOUND")


class HistoryRules(Callers):
    @rule(data=st.data())
    @step
    def get_transfer(self, data: st.DataObject) -> None:
        transfer_id = self.draw_id(data, *TRANSFER_IDS)
        request = t.GetTransferRequest(transfer_id=transfer_id)
        if canonical(transfer_id) is None:
            self.call("GetTransfer", request, invalid(bad("transfer_id")))
            return
        transfer = self.bank.transfers.get(canonical(transfer_id) or "")
        found = self.call("GetTransfer", request, OK if transfer else TRANSFER_NOT_FOUND)
        if transfer is not None:
            assert_transfer(found.transfer, transfer)

    @rule(data=st.data(), moment=moments)
    @step
    def get_balance_as_of(self, data: st.DataObject, moment: str) -> None:
        account_id = self.draw_id(data, *ACCOUNT_IDS)
        account = self.bank.account(account_id)
        request = h.GetBalanceAsOfRequest(account_id=account_id)
        version = self._as_of(request, account, moment)
        refused = bad("account_id") if canonical(account_id) is None else []
        refused += bad("as_of") if moment == "missing" or moment in INVALID_MOMENTS else []
        if refused:
            self.call("GetBalanceAsOf", request, invalid(refused))
        elif account is None or version == 0:
            self.call("GetBalanceAsOf", request, ACCOUNT_NOT_FOUND)
        else:
            then = self.call("GetBalanceAsOf", request, OK)
            _assert_state(then, account, version)

    def _as_of(self, request: Any, account: Account | None, moment: str) -> int:
        """Set the request's moment; the version the model says the account had then."""
        version = account.version if account else 0
        if moment == "missing":
            return version
        if moment in INVALID_MOMENTS:
            request.as_of.CopyFrom(timestamp(*INVALID_MOMENTS[moment]))
        elif moment in ("min", "epoch", "before open"):
            opened = account.opened_before if account else 1.0
            seconds = {"min": TS_MIN, "epoch": 0, "before open": int(opened) - 1}[moment]
            request.as_of.CopyFrom(timestamp(seconds))
            version = 0
        elif moment == "max":
            request.as_of.CopyFrom(timestamp(TS_MAX, 999_999_999))
        elif moment == "now" or not (account and account.moments):
            request.as_of.GetCurrentTime()
        else:
            known = sorted(account.moments)
            then = account.moments[known[len(known) // 2]]
            request.as_of.CopyFrom(then)
            at_or_before = [
                v for v in known if account.moments[v].ToNanoseconds() <= then.ToNanoseconds()
            ]
            version = max(at_or_before)
        return version

    def check_store(self) -> None:
        """Each account's balance, version and status as the event store replays them."""
        for account in self.bank.accounts.values():
            request = h.GetBalanceAsOfRequest(account_id=account.account_id)
            request.as_of.GetCurrentTime()
            _assert_state(self.call("GetBalanceAsOf", request, OK), account, account.version)
        for transfer in self.bank.transfers.values():
            asked = t.GetTransferRequest(transfer_id=transfer.transfer_id)
            assert_transfer(self.call("GetTransfer", asked, OK).transfer, transfer)


def _assert_state(then: Any, account: Account, version: int) -> None:
    balance = account.lines[version - 1].balance
    answered = (then.account_id, then.balance_cents, then.version, then.status)
    assert answered == (account.account_id, balance, version, account.status_at(version)), (
        then,
        account.lines,
    )
