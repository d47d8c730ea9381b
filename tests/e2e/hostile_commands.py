"""The hostile callers' rules for the commands: AccountCommandService's four and
TransferFunds, with ids of every kind, amounts and versions at and beyond the bounds,
hostile text, request ids at their limits, and requests sent again under their id."""

import time
from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import initialize, precondition, rule

from techbank.account.v1 import commands_pb2 as c
from techbank.account.v1 import transfers_pb2 as t
from tests.e2e.bank_model import OK, OPEN, Account, Status
from tests.e2e.helpers import CURRENT, SAVINGS, TIMEOUT
from tests.e2e.hostile_base import ACCOUNT_IDS, Answer, Callers, step
from tests.e2e.hostile_values import (
    amount,
    opening_balances,
    pick,
    references,
    request_id,
    request_id_tails,
    texts,
    version_choices,
    version_of,
)

MONEY_RPCS = {"DepositFunds": c.DepositFundsRequest, "WithdrawFunds": c.WithdrawFundsRequest}


class CommandRules(Callers):
    def command(self, rpc: str, request: Any) -> None:
        """Send a command; check its answer against the bank's decision, and let the
        decision change the bank (unless it repeats an answer)."""
        decision = self.bank.decide(rpc, request)
        before = time.time()
        answer = self.send(rpc, request)
        if rpc == "TransferFunds" and answer.code == Status.OK:
            answer = self._ended(answer)
        self.check(rpc, request, answer, decision.expected)
        if request.request_id:
            self.sent.append((rpc, request))
        if answer.code != Status.OK:
            return
        if decision.replays is not None:
            assert answer.response == decision.replays, (answer.response, decision.replays)
            return
        decision.apply(answer.response)
        if rpc == "OpenAccount":
            self.bank.accounts[answer.response.account_id].opened_before = before

    def _ended(self, answer: Answer) -> Answer:
        """A transfer answered PENDING, once it has ended (it must, within TIMEOUT)."""
        deadline = time.monotonic() + TIMEOUT
        transfer = answer.response.transfer
        while transfer.status == t.TRANSFER_STATUS_PENDING:
            assert time.monotonic() < deadline, f"transfer {transfer.transfer_id} still PENDING"
            time.sleep(0.1)
            asked = t.GetTransferRequest(transfer_id=transfer.transfer_id)
            transfer = self.call("GetTransfer", asked, OK).transfer
        return Answer(Status.OK, response=t.TransferFundsResponse(transfer=transfer))

    @initialize(cents=st.lists(st.integers(1, 10_000), min_size=2, max_size=2))
    @step
    def open_two_accounts_and_transfer(self, cents: list[int]) -> None:
        """Two accounts and a transfer between them: ids of both kinds to send."""
        for opening in cents:
            request = c.OpenAccountRequest(
                holder=self.tag, account_type=SAVINGS, opening_balance_cents=opening
            )
            self.command("OpenAccount", request)
        source, target = list(self.bank.accounts)
        transfer = t.TransferFundsRequest(
            source_account_id=source, target_account_id=target, amount_cents=1
        )
        self.command("TransferFunds", transfer)

    @rule(
        holder=st.one_of(texts, st.just("tagged")),
        kind=st.sampled_from([1, 2, 0, 99]),
        cents=opening_balances,
        tail=request_id_tails,
    )
    @step
    def open_account(self, holder: str, kind: int, cents: int, tail: str) -> None:
        request = c.OpenAccountRequest(
            holder=self.tag if holder == "tagged" else holder,
            account_type=kind,  # type: ignore[arg-type]  # 99: no such type
            opening_balance_cents=cents,
            request_id=request_id(self.tag, tail),
        )
        self.command("OpenAccount", request)

    @rule(rpc=st.sampled_from(sorted(MONEY_RPCS)), data=st.data())
    @step
    def move_money(self, rpc: str, data: st.DataObject) -> None:
        account_id = self.draw_id(data, *ACCOUNT_IDS)
        account = self.bank.account(account_id)
        request = MONEY_RPCS[rpc](
            account_id=account_id,
            amount_cents=amount(data, _balance(account)),
            request_id=request_id(self.tag, data.draw(request_id_tails)),
            reference=data.draw(references),
        )
        self._expect_version(request, account, data.draw(version_choices))
        self.command(rpc, request)

    @precondition(lambda self: sum(a.status == OPEN for a in self.bank.accounts.values()) > 2)
    @rule(data=st.data())
    @step
    def close_account(self, data: st.DataObject) -> None:
        """(Only while other accounts stay open: a closed account refuses the rest.)"""
        account_id = self.draw_id(data, *ACCOUNT_IDS)
        tail = data.draw(request_id_tails)
        request = c.CloseAccountRequest(
            account_id=account_id, request_id=request_id(self.tag, tail)
        )
        self._expect_version(request, self.bank.account(account_id), data.draw(version_choices))
        self.command("CloseAccount", request)

    @rule(data=st.data())
    @step
    def transfer_funds(self, data: st.DataObject) -> None:
        source = self.draw_id(data, *ACCOUNT_IDS)
        same = data.draw(st.sampled_from([False] * 5 + [True]))
        request = t.TransferFundsRequest(
            source_account_id=source,
            # The same account spelled otherwise, or another id of any kind.
            target_account_id=source.upper() if same else self.draw_id(data, *ACCOUNT_IDS),
            amount_cents=amount(data, _balance(self.bank.account(source))),
            reference=data.draw(references),
            request_id=request_id(self.tag, data.draw(request_id_tails)),
        )
        self.command("TransferFunds", request)

    @precondition(lambda self: self.sent)
    @rule(data=st.data())
    @step
    def repeat_a_request(self, data: st.DataObject) -> None:
        """The same request again, under its request id: the first answer again."""
        rpc, request = pick(data, self.sent) or self.sent[0]
        self.command(rpc, request)

    @precondition(lambda self: self.sent)
    @rule(data=st.data(), rpc=st.sampled_from(["DepositFunds", "CloseAccount", "OpenAccount"]))
    @step
    def reuse_a_request_id(self, data: st.DataObject, rpc: str) -> None:
        """Another command under a request id sent before."""
        _, earlier = pick(data, self.sent) or self.sent[0]
        account_id = pick(data, list(self.bank.accounts)) or ""
        request: Any
        if rpc == "DepositFunds":
            request = c.DepositFundsRequest(account_id=account_id, amount_cents=1)
        elif rpc == "CloseAccount":
            request = c.CloseAccountRequest(account_id=account_id)
        else:
            request = c.OpenAccountRequest(holder=self.tag, account_type=CURRENT)
        request.request_id = earlier.request_id
        self.command(rpc, request)

    @staticmethod
    def _expect_version(request: Any, account: Account | None, choice: str) -> None:
        version = version_of(choice, account.version if account else 1)
        if version is not None:
            request.expected_version = version


def _balance(account: Account | None) -> int:
    return account.balance if account else 0
