"""Answers assembled from the read model's accounts, without parsing or building messages.

The projector keeps each account framed as one element of the `accounts` field that
AccountList and AccountPage share (adapters.protobuf_framing), so a list or a page is
the concatenation of its accounts, and one account is what the frame holds.
"""

from collections.abc import Iterable

from adapters.protobuf_framing import item_of
from query_server.account_reader import Page
from techbank.account.v1 import account_pb2


def account(framed: bytes) -> bytes:
    """An Account message, from the read model's framed account."""
    return item_of(framed)


def account_list(framed: Iterable[bytes]) -> bytes:
    """An AccountList (or, alike on the wire, an AccountPage) of the framed accounts."""
    return b"".join(framed)


account_page = account_list


def page_of(wires: list[bytes]) -> Page:
    """The page of these framed accounts, with the last one's id read from its bytes."""
    last = account_pb2.Account.FromString(item_of(wires[-1])).account_id if wires else None
    return Page(wires, last)
