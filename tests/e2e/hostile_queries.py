"""The hostile callers' rules for the query server (AccountQueryService): reads of our
accounts by every query, with ids of every kind, page sizes at the bounds, min_version
around the account's own, and the page tokens of hostile_tokens."""

from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import rule

from techbank.account.v1 import queries_pb2 as q
from tests.e2e.bank_model import (
    ACCOUNT_NOT_FOUND,
    MAX_CENTS,
    MAX_HOLDER,
    NOT_REACHED,
    OK,
    Account,
    Violation,
    bad,
    canonical,
    invalid,
    nfc,
    text_refused,
)
from tests.e2e.helpers import TIMEOUT
from tests.e2e.hostile_base import ACCOUNT_IDS, WAIT, answer_of, step
from tests.e2e.hostile_pages import PageChecks
from tests.e2e.hostile_values import INT64_MIN, page_sizes, texts, version_choices, version_of

MOST_PAGES = 3  # of a FindAllAccounts stream read before it is cancelled


class QueryRules(PageChecks):
    @rule(data=st.data(), choice=version_choices)
    @step
    def find_account_by_id(self, data: st.DataObject, choice: str) -> None:
        account_id = self.draw_id(data, *ACCOUNT_IDS)
        account = self.bank.account(account_id)
        request = q.FindAccountByIdRequest(account_id=account_id)
        min_version = _version(choice, account)
        if min_version is not None:
            request.min_version = min_version
        refused = bad("account_id") if canonical(account_id) is None else []
        refused += bad("min_version") if min_version is not None and min_version < 1 else []
        if refused:
            self.call("FindAccountById", request, invalid(refused))
        elif account is None or (min_version or 0) > account.version:
            waits = min_version is not None
            expected = NOT_REACHED if waits else ACCOUNT_NOT_FOUND
            self.call("FindAccountById", request, expected, WAIT if waits else TIMEOUT)
        else:
            answer = self.send("FindAccountById", request)
            if answer.code == ACCOUNT_NOT_FOUND.code and min_version is None and not account.seen:
                return  # not projected yet: a read naming no version may come before it
            self.check("FindAccountById", request, answer, OK)
            found = answer.response.account
            assert found.version >= (min_version or 1), (found, f"min_version {min_version}")
            self.check_account(answer.response.account, account)

    @rule(data=st.data(), page_size=page_sizes)
    @step
    def find_all_accounts(self, data: st.DataObject, page_size: int) -> None:
        request = q.FindAllAccountsRequest()
        token, position, good = self.draw_token(data, ("all",), "FindAllAccounts", request)
        request.page_size, request.page_token = page_size, token
        refused = _page_checks(page_size, good)
        if refused:
            self.call("FindAllAccounts", request, invalid(refused))
            return
        self.settle(self.bank.accounts.values())
        stream = self.rpcs["FindAllAccounts"]
        answer = answer_of(lambda: _first_pages(stream(request, timeout=TIMEOUT)))
        self.check("FindAllAccounts", request, answer, OK)
        pages = answer.response
        ended = len(pages) < MOST_PAGES or not pages[-1].next_page_token
        self.check_pages(
            pages, ended, page_size, key=("all",), position=position, matches=lambda _: True
        )

    @rule(data=st.data(), holder=st.one_of(texts, st.just("tagged")), page_size=page_sizes)
    @step
    def find_accounts_by_holder(self, data: st.DataObject, holder: str, page_size: int) -> None:
        holder = self.tag if holder == "tagged" else holder
        refused_holder = text_refused(holder, MAX_HOLDER)
        key = ("holder", "" if refused_holder else nfc(holder))
        request = q.FindAccountsByHolderRequest(holder=holder)
        token, position, good = self.draw_token(data, key, "FindAccountsByHolder", request)
        request.page_size, request.page_token = page_size, token
        refused = (bad("holder") if refused_holder else []) + _page_checks(page_size, good)
        if refused:
            self.call("FindAccountsByHolder", request, invalid(refused))
            return
        self.settle(self.bank.accounts.values())
        page = self.call("FindAccountsByHolder", request, OK)
        assert all(a.holder == nfc(holder) for a in page.accounts), (holder, page)
        ended = not page.next_page_token
        self.check_pages(
            [page],
            ended,
            page_size,
            key=key,
            position=position,
            matches=lambda a: a.holder == nfc(holder),
        )

    @rule(
        data=st.data(),
        # Few filters, so that one query's tokens are often sent to it again.
        equality=st.sampled_from([1, 1, 1, 2, 0, 99]),
        cents=st.sampled_from([0, 0, 0, -1, MAX_CENTS, INT64_MIN, 500]),
        page_size=page_sizes,
    )
    @step
    def find_accounts_with_balance(
        self, data: st.DataObject, equality: int, cents: int, page_size: int
    ) -> None:
        key = ("balance", equality, cents)
        request = q.FindAccountsWithBalanceRequest(
            equality_type=equality,  # type: ignore[arg-type]  # 99: no such type
            balance_cents=cents,
        )
        token, position, good = self.draw_token(data, key, "FindAccountsWithBalance", request)
        request.page_size, request.page_token = page_size, token
        refused = (bad("equality_type") if equality not in (1, 2) else []) + _page_checks(
            page_size, good
        )
        if refused:
            self.call("FindAccountsWithBalance", request, invalid(refused))
            return
        self.settle(self.bank.accounts.values())
        page = self.call("FindAccountsWithBalance", request, OK)

        def matches(balance: int) -> bool:
            return balance > cents if equality == 1 else balance < cents

        assert all(matches(a.balance_cents) for a in page.accounts), (request, page)
        ended = not page.next_page_token
        self.check_pages(
            [page],
            ended,
            page_size,
            key=key,
            position=position,
            matches=lambda a: matches(a.balance),
        )

    @rule(data=st.data(), page_size=page_sizes, choice=version_choices)
    @step
    def get_account_statement(self, data: st.DataObject, page_size: int, choice: str) -> None:
        account_id = self.draw_id(data, *ACCOUNT_IDS)
        account = self.bank.account(account_id)
        key = ("statement", canonical(account_id) or account_id)
        request = q.GetAccountStatementRequest(account_id=account_id)
        token, position, good = self.draw_token(data, key, "GetAccountStatement", request)
        request.page_size, request.page_token = page_size, token
        min_version = _version(choice, account)
        if min_version is not None:
            request.min_version = min_version
        refused = bad("account_id") if canonical(account_id) is None else []
        refused += _page_checks(page_size, good)
        refused += bad("min_version") if min_version is not None and min_version < 1 else []
        if refused:
            self.call("GetAccountStatement", request, invalid(refused))
        elif account is None or (min_version or 0) > account.version:
            waits = min_version is not None
            expected = NOT_REACHED if waits else ACCOUNT_NOT_FOUND
            self.call("GetAccountStatement", request, expected, WAIT if waits else TIMEOUT)
        else:
            self.settle([account])
            pages = self.call("GetAccountStatement", request, OK)
            self.check_statement(pages, account, key, position, page_size)


def _first_pages(stream: Any) -> list[Any]:
    """The stream's first MOST_PAGES pages (all, if it has fewer); then it is cancelled."""
    pages = []
    for page in stream:
        pages.append(page)
        if len(pages) == MOST_PAGES:
            stream.cancel()
            break
    return pages


def _page_checks(page_size: int, token_good: bool) -> list[Violation]:
    refused = bad("page_size") if page_size < 0 else []
    return refused + ([] if token_good else bad("page_token", "INVALID_PAGE_TOKEN"))


def _version(choice: str, account: Account | None) -> int | None:
    return version_of(choice, account.version if account else 1)
