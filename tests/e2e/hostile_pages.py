"""What every page of a paged answer must be (docs/api.md, Paging): in its query's order,
after the position it was asked from, at most the page size, full when a token follows,
and holding each of our accounts that belongs in the range it covers as the model has it."""

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp

from techbank.account.v1 import queries_pb2 as q
from tests.e2e.bank_model import Account, Line
from tests.e2e.hostile_tokens import Given, Key, Position, TokenDraws


class PageChecks(TokenDraws):
    def check_statement(
        self, pages: list[Any], account: Account, key: Key, position: Position | None, size: int
    ) -> None:
        """Every movement after the position, as the model has them, in pages."""
        after = position[0] if position else 0
        lines = [m for page in pages for m in page.movements]
        answered = [Line(m.version, _kind(m.kind), m.amount_cents, m.balance_cents) for m in lines]
        answered = [
            replace(line, reference=m.reference, transfer_id=m.transfer_id)
            for line, m in zip(answered, lines, strict=True)
        ]
        expected = account.lines[after:]
        assert answered == expected, (after, answered, expected)
        self._check_page_sizes(pages, [len(p.movements) for p in pages], True, size)
        for page in pages:
            if page.next_page_token:
                self.tokens.append(Given(page.next_page_token, key, (page.movements[-1].version,)))
        for movement in lines:
            account.moments[movement.version] = Timestamp()
            account.moments[movement.version].CopyFrom(movement.occurred_at)

    def check_pages(
        self,
        pages: list[Any],
        ended: bool,
        size: int,
        *,
        key: Key,
        position: Position | None,
        matches: Callable[[Account], bool],
    ) -> None:
        """Accounts in sort-key order after the position, ours among them as the model
        has them, none of ours that matches missing from the range the pages cover."""
        by_balance = key[0] == "balance"
        found = [a for page in pages for a in page.accounts]
        keys = [_sort_key(by_balance, a.account_id, a.balance_cents) for a in found]
        assert keys == sorted(set(keys)), keys
        assert position is None or all(k > position for k in keys), (position, keys)
        self._check_page_sizes(pages, [len(p.accounts) for p in pages], ended, size)
        ours = self.bank.accounts
        for account in found:
            if account.account_id in ours:
                self.check_account(account, ours[account.account_id])
                modelled = ours[account.account_id].version
                assert account.version == modelled, (account, f"the model is at {modelled}")
        in_range = [
            _sort_key(by_balance, a.account_id, a.balance) for a in ours.values() if matches(a)
        ]
        covered = [
            k for k in in_range if (position is None or k > position) and (ended or k <= keys[-1])
        ]
        answered = [k for k, a in zip(keys, found, strict=True) if a.account_id in ours]
        assert sorted(covered) == answered, f"ours in range: {sorted(covered)}; answered {answered}"
        for page in pages:
            if page.next_page_token:
                last = page.accounts[-1]
                after = _sort_key(by_balance, last.account_id, last.balance_cents)
                self.tokens.append(Given(page.next_page_token, key, after))

    @staticmethod
    def _check_page_sizes(pages: list[Any], sizes: list[int], ended: bool, asked: int) -> None:
        """At most the page size (0: 100, over 1000: 1000); a page with a token after it
        is full; every page has one but the last of a finished answer."""
        most = 100 if asked == 0 else min(asked, 1000)
        assert all(0 < n <= most for n in sizes) or sizes == [0], (sizes, asked)
        tokens = [bool(page.next_page_token) for page in pages]
        assert all(n == most for n, token in zip(sizes, tokens, strict=True) if token), sizes
        assert tokens == [True] * (len(pages) - ended) + [False] * (ended and bool(pages)), (
            tokens,
            ended,
        )


def _sort_key(by_balance: bool, account_id: str, balance: int) -> Position:
    """An account's place in its query's order: by balance then id, or by id."""
    return (balance, account_id) if by_balance else (account_id,)


def _kind(kind: q.MovementKind.ValueType) -> str:
    return q.MovementKind.Name(kind).removeprefix("MOVEMENT_KIND_")
