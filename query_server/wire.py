"""Answers assembled from the read model's accounts, without parsing or building messages.

The projector keeps each account framed as one element of the `accounts` field that
AccountList and AccountPage share (adapters.protobuf_framing), so a list or a page is
the concatenation of its accounts, and one account is what the frame holds.
"""

from collections.abc import Iterable

from adapters.protobuf_framing import item_of


def account(framed: bytes) -> bytes:
    """An Account message, from the read model's framed account."""
    return item_of(framed)


def account_list(framed: Iterable[bytes]) -> bytes:
    """An AccountList (or, alike on the wire, an AccountPage) of the framed accounts."""
    return b"".join(framed)


account_page = account_list
