"""The statements of the paged queries, for the readers that write their own SQL
(sqlite3 and asyncmy), in their driver's placeholder: one text for both, so that the
keyset conditions, which decide which account a page starts after, are written once.

Each query comes from the first account and after a position in its order: by account
id, or by balance then account id.
"""

from collections.abc import Sequence
from typing import NamedTuple

from bank.account_reader import BalancePosition, Comparison

Parameters = tuple[str | int, ...]
# Which generation of the read model the queries read (adapters.sql.read_generations).
LIVE_GENERATION = "SELECT live FROM read_model_generations WHERE id = 1"


class PageSql(NamedTuple):
    """One generation's statements. `accounts` selects (account id, version, wire).
    Parameters: (limit) and (account id, limit) for every account; (holder..., limit)
    and (holder..., account id, limit) for a holder's, the holder as many times as the
    dialect's holder condition names it; the balance queries' in balance_page."""

    accounts: str
    first_page: str
    next_page: str
    by_holder: str
    by_holder_after: str
    above: str
    above_after: str
    below: str
    below_after: str
    movements_after: str  # (account id, version, limit)


def page_sql(mark: str, exact_holder: str, generation: int) -> PageSql:
    """The statements with `mark` as the placeholder, on the tables of `generation`;
    `exact_holder` is the dialect's condition that a row's holder is exactly the one
    asked for."""
    wires = f"SELECT wire FROM accounts_g{generation}"
    by_id = f"ORDER BY account_id LIMIT {mark}"
    by_balance = f"ORDER BY balance_cents, account_id LIMIT {mark}"
    after_balance = f"balance_cents >= {mark} AND (balance_cents > {mark} OR account_id > {mark})"
    return PageSql(
        accounts=f"SELECT account_id, version, wire FROM accounts_g{generation}",
        first_page=f"{wires} {by_id}",
        next_page=f"{wires} WHERE account_id > {mark} {by_id}",
        by_holder=f"{wires} WHERE {exact_holder} {by_id}",
        by_holder_after=f"{wires} WHERE {exact_holder} AND account_id > {mark} {by_id}",
        above=f"{wires} WHERE balance_cents > {mark} {by_balance}",
        above_after=f"{wires} WHERE {after_balance} {by_balance}",  # see balance_seek
        below=f"{wires} WHERE balance_cents < {mark} {by_balance}",
        below_after=f"{wires} WHERE balance_cents < {mark} AND {after_balance} {by_balance}",
        movements_after=(
            f"SELECT wire FROM movements_g{generation} WHERE account_id = {mark} "
            f"AND version > {mark} "
            f"ORDER BY version LIMIT {mark}"
        ),
    )


def balance_page(
    sql: PageSql,
    comparison: Comparison,
    balance_cents: int,
    after: BalancePosition | None,
    limit: int,
) -> tuple[str, Parameters]:
    """The statement and parameters of one page of a balance query."""
    below = comparison is Comparison.LESS_THAN
    after = balance_seek(comparison, balance_cents, after)
    if after is None:
        return (sql.below if below else sql.above), (balance_cents, limit)
    balance, account_id = after
    if below:
        return sql.below_after, (balance_cents, balance, balance, account_id, limit)
    return sql.above_after, (balance, balance, account_id, limit)


def balance_seek(
    comparison: Comparison, balance_cents: int, after: BalancePosition | None
) -> BalancePosition | None:
    """Where a balance query's page starts, once the bounds that add nothing are dropped,
    so that the database seeks its index to one lower bound instead of two (SQLite keeps
    the first it sees and reads from there: from the amount, on every page).

    Above an amount, a position is itself above it, or it is at or below it and then
    every balance above the amount comes after it: one of the two bounds is enough.
    Below an amount, the position is the lower bound and the amount the upper: both stay.
    """
    if after is not None and comparison is Comparison.GREATER_THAN and after[0] <= balance_cents:
        return None
    return after


MAX_IDS_PER_QUERY = 500


def chunks(account_ids: Sequence[str]) -> list[Sequence[str]]:
    """The ids in slices small enough for one query's IN list."""
    return [
        account_ids[i : i + MAX_IDS_PER_QUERY]
        for i in range(0, len(account_ids), MAX_IDS_PER_QUERY)
    ]
