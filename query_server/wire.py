"""Answers assembled from the read model's accounts and movements, without parsing or
building messages.

The projector keeps each account framed as field 1 of a message (bank.wire):
one element of the `accounts` field that every paged answer has, and alike on the wire,
the whole of a FindAccountByIdResponse. A page is then the concatenation of its
accounts, and of its next_page_token, field 2.
"""

from core.paging import Page
from techbank.account.v1 import account_pb2, queries_pb2

TOKEN_ONLY = queries_pb2.FindAllAccountsResponse  # any paged answer: they share their layout


def account(framed: bytes) -> bytes:
    """A FindAccountByIdResponse, from the read model's framed account."""
    return framed


def page(found: Page) -> bytes:
    """A paged answer (FindAllAccountsResponse and the others, alike on the wire)."""
    accounts = b"".join(found.items)
    if not found.next_page_token:
        return accounts
    return accounts + TOKEN_ONLY(next_page_token=found.next_page_token).SerializeToString()


def movement_of(framed: bytes) -> queries_pb2.Movement:
    """The movement in a framed movement, parsed."""
    return queries_pb2.GetAccountStatementResponse.FromString(framed).movements[0]


def account_of(framed: bytes) -> account_pb2.Account:
    """The account in a framed account, parsed."""
    return queries_pb2.FindAccountByIdResponse.FromString(framed).account
