"""Page tokens as a hostile caller sends them: none, one the server gave for this query
or for another, one no server gave, or a real one edited as a client would (its query's
fingerprint kept, its position replaced by one of any shape and size)."""

from typing import Any, NamedTuple

import grpc
from hypothesis import strategies as st

from harness.system import System
from tests.e2e.bank_model import MAX_CENTS
from tests.e2e.helpers import TIMEOUT
from tests.e2e.hostile_base import STREAMS, Callers
from tests.e2e.hostile_values import (
    GARBAGE_TOKENS,
    INT64_MIN,
    edited_integers,
    edited_texts,
    pick,
)
from tests.e2e.test_edited_page_tokens import edited

Key = tuple[object, ...]  # what a token is good for: its query and every filter
Position = tuple[Any, ...]
TOKEN_CHOICES = ["first page"] * 3 + ["given"] * 2 + ["edited"] * 3 + ["another query's", "garbage"]


class Given(NamedTuple):
    token: str
    key: Key
    position: Position


def holds(kind: object, position: Position) -> bool:
    """Whether a query's sort key can hold `position` (core.paging's shapes): a
    statement's version is 1 to int64 max, a balance any int64, an id any text that
    UTF-8 can encode."""

    def whole(part: Any, lowest: int) -> bool:
        return type(part) is int and lowest <= part <= MAX_CENTS

    def text(part: Any) -> bool:
        return type(part) is str and part.encode(errors="replace").decode() == part

    if kind == "statement":
        return len(position) == 1 and whole(position[0], 1)
    if kind == "balance":
        return len(position) == 2 and whole(position[0], INT64_MIN) and text(position[1])
    return len(position) == 1 and text(position[0])


class TokenDraws(Callers):
    def __init__(self, system: System) -> None:
        super().__init__(system)
        self.tokens: list[Given] = []  # every token the server gave, with its query

    def draw_token(
        self, data: st.DataObject, key: Key, rpc: str, asked: Any
    ) -> tuple[str, Position | None, bool]:
        """A page token for `asked` (an `rpc` request), where it starts (None: the first
        page), and whether it is good: none, one given before, one of another query,
        one no server gave, or a real one of this query edited as a client would."""
        choice = data.draw(st.sampled_from(TOKEN_CHOICES))
        same = pick(data, [g for g in self.tokens if g.key == key])
        other = pick(data, [g for g in self.tokens if g.key != key])
        position = data.draw(self._positions(key[0]))
        garbage = data.draw(st.sampled_from(GARBAGE_TOKENS))
        if choice == "given" and same:
            return same.token, same.position, True
        if choice == "another query's" and other:
            return other.token, None, False
        if choice == "edited":
            real = same.token if same else self._token_of(rpc, asked)
            if real:
                return edited(real, *position), position, holds(key[0], position)
        if choice == "garbage":
            return garbage, None, False
        return "", None, True

    def _token_of(self, rpc: str, asked: Any) -> str:
        """The token after the first item of the query `asked` ("" if it has no second)."""
        request = type(asked)()
        request.CopyFrom(asked)
        request.page_size = 1
        try:
            answer = self.rpcs[rpc](request, timeout=TIMEOUT)
            first = next(answer, None) if rpc in STREAMS else answer
            if rpc in STREAMS:
                answer.cancel()
        except grpc.RpcError:
            return ""
        return first.next_page_token if first is not None else ""

    def _positions(self, kind: object) -> st.SearchStrategy[Position]:
        ours = st.integers(0, 63).map(
            lambda i: list(self.bank.accounts)[i % len(self.bank.accounts)]
        )
        ids = st.one_of(edited_texts, ours)
        shapes = st.sampled_from([(True,), (1.5,), ("1",), (1, "a", 2), ()])
        exact: st.SearchStrategy[Position]
        if kind == "statement":
            exact = st.tuples(edited_integers)
        elif kind == "balance":
            exact = st.tuples(edited_integers, ids)
        else:
            exact = st.tuples(ids)
        return st.one_of(exact, exact, shapes)
