"""Framed accounts (and a statement's framed movements) concatenate into the very bytes
protobuf gives for the whole answer."""

from hypothesis import given
from hypothesis import strategies as st

from bank.wire import element, item_of
from core.paging import Page
from query_server import translation as wire
from techbank.account.v1 import account_pb2, queries_pb2

ACCOUNTS = queries_pb2.FindAllAccountsResponse.DESCRIPTOR.fields_by_name["accounts"]
PAGED = (
    queries_pb2.FindAllAccountsResponse,
    queries_pb2.FindAccountsByHolderResponse,
    queries_pb2.FindAccountsWithBalanceResponse,
)
MOVEMENTS = queries_pb2.GetAccountStatementResponse.DESCRIPTOR.fields_by_name["movements"]
movements = st.builds(
    queries_pb2.Movement,
    version=st.integers(0, 2**63 - 1),
    kind=st.sampled_from(queries_pb2.MovementKind.values()),
    amount_cents=st.integers(-(2**63), 2**63 - 1),
    balance_cents=st.integers(-(2**63), 2**63 - 1),
    reference=st.text(max_size=140),
    transfer_id=st.text(max_size=36),
)
accounts = st.builds(
    account_pb2.Account,
    account_id=st.text(max_size=40),
    holder=st.text(max_size=300),
    balance_cents=st.integers(-(2**63), 2**63 - 1),
    version=st.integers(0, 2**63 - 1),
)


def framed(item: account_pb2.Account) -> bytes:
    return element(ACCOUNTS, item.SerializeToString(deterministic=True))


@given(st.lists(accounts, max_size=20))
def test_concatenated_elements_are_the_serialized_page(items: list[account_pb2.Account]) -> None:
    page = queries_pb2.FindAllAccountsResponse(accounts=items)
    assert b"".join(map(framed, items)) == page.SerializeToString(deterministic=True)
    assert [account_pb2.Account.FromString(item_of(framed(a))) for a in items] == items


@given(st.lists(accounts, max_size=5), st.text(max_size=300))
def test_every_paged_answer_reads_the_accounts_and_token(
    items: list[account_pb2.Account], token: str
) -> None:
    answer = wire.page(Page(list(map(framed, items)), token))
    for paged in PAGED:
        parsed = paged.FromString(answer)
        assert (list(parsed.accounts), parsed.next_page_token) == (items, token)


@given(accounts)
def test_a_framed_account_is_a_find_account_by_id_response(item: account_pb2.Account) -> None:
    answer = queries_pb2.FindAccountByIdResponse.FromString(wire.account(framed(item)))
    assert answer.account == item
    assert wire.account_of(framed(item)) == item


@given(st.lists(movements, max_size=5), st.text(max_size=300))
def test_a_statement_page_reads_the_movements_and_token(
    items: list[queries_pb2.Movement], token: str
) -> None:
    framed = [element(MOVEMENTS, item.SerializeToString(deterministic=True)) for item in items]
    answer = queries_pb2.GetAccountStatementResponse.FromString(wire.page(Page(framed, token)))
    assert (list(answer.movements), answer.next_page_token) == (items, token)
    assert [wire.movement_of(one) for one in framed] == items
