"""The hostile callers' machine, less its rules: how it calls, checks and draws.

Every call's answer is checked against the bank's model (tests/e2e/bank_rules.py): no
call may answer INTERNAL or UNKNOWN; each refusal has the documented status and reason
(and names the fields refused); each success says what the model says. After every
step no server may have logged a traceback or an ERROR line; at the end the event
store and the read model must hold what the model holds.
"""

import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar

import grpc
from google.protobuf import text_format
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant

from harness.system import System
from techbank.account.v1 import queries_pb2
from tests.e2e.bank_model import OK, Account, Expected, Status
from tests.e2e.bank_rules import Bank
from tests.e2e.helpers import TIMEOUT
from tests.e2e.hostile_values import NOT_UUIDS, RESPELLINGS, pick, respelled
from tests.e2e.server_logs import LogWatch

WAIT = 0.3  # seconds: the deadline of a call expected to wait for a version never reached
NEVER = (Status.INTERNAL, Status.UNKNOWN)
STREAMS = ("FindAllAccounts", "GetAccountStatement")  # server streaming: pages
# What is sent where an account id is expected (draw_id): mostly ours, else the rest.
ACCOUNT_IDS = ("account", "account", "account", "transfer", "unknown", "not a uuid")
F = TypeVar("F", bound=Callable[..., None])


@dataclass(frozen=True)
class Answer:
    code: Status
    reason: str = ""
    fields: frozenset[str] = frozenset()
    response: Any = None
    details: str = ""


def answer_of(call: Callable[[], Any]) -> Answer:
    try:
        response = call()
    except grpc.RpcError as error:
        return _refusal(error)
    return Answer(Status.OK, response=response)


def _refusal(error: Any) -> Answer:
    status = rpc_status.from_call(error)
    info, bad = error_details_pb2.ErrorInfo(), error_details_pb2.BadRequest()
    for detail in status.details if status else ():
        _ = detail.Unpack(info) or detail.Unpack(bad)
    fields = frozenset(v.field for v in bad.field_violations)
    return Answer(error.code(), info.reason, fields, details=error.details() or "")


def step(rule: F) -> F:
    """A rule whose failure the teardown hears of (so it does not hide it with its own)."""

    @wraps(rule)
    def run(self: "Callers", *args: Any, **kwargs: Any) -> None:
        try:
            rule(self, *args, **kwargs)
        except BaseException:
            self.failed = True
            raise

    return run  # type: ignore[return-value]


def said(rpc: str, request: Any, answer: Answer) -> str:
    sent = text_format.MessageToString(request, as_one_line=True, as_utf8=True)[:300]
    reason = f" {answer.reason}" if answer.reason else ""
    fields = f" fields {sorted(answer.fields)}" if answer.fields else ""
    return f"{rpc}({sent}) answered {answer.code.name}{reason}{fields} {answer.details[:200]!r}"


class Callers(RuleBasedStateMachine):
    def __init__(self, system: System) -> None:
        super().__init__()
        self.system = system
        self.bank = Bank()
        self.tag = f"h{uuid.uuid4().hex[:8]} "  # this example's request ids and holder
        self.logs = LogWatch(system.processes)
        self.failed = False
        self.sent: list[tuple[str, Any]] = []  # requests with a request id, to repeat
        self.rpcs: dict[str, Callable[..., Any]] = {}
        for stub in (system.commands, system.transfers, system.history, system.queries):
            self.rpcs |= {name: getattr(stub, name) for name in dir(stub) if name[0].isupper()}

    def send(self, rpc: str, request: Any, timeout: float = TIMEOUT) -> Answer:
        method = self.rpcs[rpc]
        if rpc in STREAMS:
            return answer_of(lambda: list(method(request, timeout=timeout)))
        return answer_of(lambda: method(request, timeout=timeout))

    def check(self, rpc: str, request: Any, answer: Answer, expected: Expected) -> None:
        told = said(rpc, request, answer)
        assert answer.code not in NEVER, told
        assert (answer.code, answer.reason in expected.reasons) == (expected.code, True), (
            f"{told}; expected {expected.code.name} {sorted(expected.reasons)}"
        )
        if expected.fields is not None:
            assert answer.fields == expected.fields, f"{told}; expected {sorted(expected.fields)}"

    def call(self, rpc: str, request: Any, expected: Expected, timeout: float = TIMEOUT) -> Any:
        """Send, check the answer; its response (None for a refusal)."""
        answer = self.send(rpc, request, timeout)
        self.check(rpc, request, answer, expected)
        return answer.response

    def draw_id(self, data: st.DataObject, *kinds: str) -> str:
        """An id of one of `kinds`: "account" (ours, any spelling), "transfer" (ours),
        "unknown" (a UUID no one made), "not a uuid"."""
        kind = data.draw(st.sampled_from(kinds))
        pool = list(self.bank.accounts if kind == "account" else self.bank.transfers)
        chosen = pick(data, pool)
        spelling = data.draw(st.sampled_from(["as given", "as given", *RESPELLINGS]))
        not_uuid = data.draw(st.sampled_from(NOT_UUIDS))
        if kind == "not a uuid":
            return not_uuid
        if kind == "unknown" or chosen is None:
            return str(uuid.uuid4())
        return chosen if spelling == "as given" else respelled(chosen, spelling)

    def settle(self, accounts: Iterable[Account]) -> None:
        """Wait for the read model to hold each account as the model does (reads that
        name no version are eventually consistent)."""
        for account in accounts:
            if account.seen < account.version:
                self.read_account(account, account.version)

    def read_account(self, account: Account, min_version: int) -> None:
        request = _find_by_id(account.account_id, min_version)
        found = self.call("FindAccountById", request, OK).account
        self.check_account(found, account)

    def check_account(self, found: Any, account: Account) -> None:
        """An account as the read model answered it is the model's at some version."""
        assert 1 <= found.version <= account.version, (found, account.version)
        line = account.lines[found.version - 1]
        answered = (found.account_id, found.holder, found.account_type, found.balance_cents)
        modelled = (account.account_id, account.holder, account.account_type, line.balance)
        assert answered == modelled, f"the read model answered {answered}, the model {modelled}"
        assert found.status == account.status_at(found.version), (found, account)
        account.seen = max(account.seen, found.version)

    @invariant()
    def no_server_logged_trouble(self) -> None:
        trouble = self.logs.new_trouble()
        assert not trouble, "\n".join(trouble[:20])

    def teardown(self) -> None:
        """Unless a step failed: the event store and the read model hold what the model
        holds, every transfer has ended as it says, and nothing was logged late."""
        if self.failed:
            return
        self.settle(self.bank.accounts.values())
        self.check_store()
        time.sleep(0.2)  # a background task's late line
        self.no_server_logged_trouble()

    def check_store(self) -> None:
        """What the event store holds (the history rules say)."""


def _find_by_id(account_id: str, min_version: int | None) -> Any:
    request = queries_pb2.FindAccountByIdRequest(account_id=account_id)
    if min_version is not None:
        request.min_version = min_version
    return request
