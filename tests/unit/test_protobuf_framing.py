"""Framed accounts concatenate into the very bytes protobuf gives for the whole list."""

from hypothesis import given
from hypothesis import strategies as st

from adapters.protobuf_framing import element, item_of
from techbank.account.v1 import account_pb2, queries_pb2

ACCOUNTS = queries_pb2.AccountPage.DESCRIPTOR.fields_by_name["accounts"]
accounts = st.builds(
    account_pb2.Account,
    account_id=st.text(max_size=40),
    holder=st.text(max_size=300),
    balance_cents=st.integers(-(2**63), 2**63 - 1),
    version=st.integers(0, 2**63 - 1),
)


@given(st.lists(accounts, max_size=20))
def test_concatenated_elements_are_the_serialized_list(items: list[account_pb2.Account]) -> None:
    framed = [element(ACCOUNTS, a.SerializeToString(deterministic=True)) for a in items]
    page = queries_pb2.AccountPage(accounts=items)
    assert b"".join(framed) == page.SerializeToString(deterministic=True)
    assert queries_pb2.AccountList.FromString(b"".join(framed)).accounts == items
    assert [account_pb2.Account.FromString(item_of(f)) for f in framed] == items
