"""The read model's generations: each holds a whole copy of the accounts and movements
tables, named after it (`accounts_g2`, `movements_g2`).

One generation is live: the query servers read it. A rebuild (projector.rebuild) builds
the next beside it while the projector keeps both up to date, then makes it live in
one write of the `read_model_generations` row, and drops the old one a little later:
queries are answered throughout, from the old generation until the switch and from the
new one after it.

Here too are the statements of the paged queries, for the readers that write their own SQL
(sqlite3 and asyncmy), in their driver's placeholder: one text for both, so that the
keyset conditions, which decide which account a page starts after, are written once.

Each query comes from the first account and after a position in its order: by account
id, or by balance then account id.
"""

import functools
from collections.abc import Sequence
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.dialects import mysql

from adapters.sql.engine import UtcDateTime
from bank.account import MAX_HOLDER_LENGTH, MAX_REFERENCE_LENGTH
from bank.account_reader import BalancePosition, Comparison

FIRST = 1  # the generation a new read model starts with
# The tables' shapes, named after no generation: tables_of names them.
_shapes = sa.MetaData()


def exact_text(length: int) -> sa.types.TypeEngine[str]:
    """Text of up to `length` characters compared byte for byte: on MySQL a binary
    collation, so that neither case nor accents make two values equal."""
    return sa.String(length).with_variant(
        mysql.VARCHAR(length, charset="utf8mb4", collation="utf8mb4_bin"), "mysql"
    )


_accounts = sa.Table(
    "accounts",
    _shapes,
    sa.Column("account_id", sa.String(36), primary_key=True),
    sa.Column("holder", exact_text(MAX_HOLDER_LENGTH), nullable=False, index=True),
    sa.Column("account_type", sa.String(16), nullable=False),
    sa.Column("balance_cents", sa.BigInteger, nullable=False, index=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("opened_at", UtcDateTime(), nullable=False),
    sa.Column("version", sa.BigInteger, nullable=False),
    # The account as the query API answers it: an Account message, serialized.
    sa.Column("wire", sa.LargeBinary, nullable=False),
    mysql_charset="utf8mb4",
    # Clustered on the account id, as InnoDB tables are: a page of the FindAll stream is
    # one walk along one B-tree instead of an index walk plus a table lookup per row.
    sqlite_with_rowid=False,
)


# One row per event of an account: its statement, with the balance after each movement.
_movements = sa.Table(
    "movements",
    _shapes,
    sa.Column("account_id", sa.String(36), primary_key=True),
    sa.Column("version", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("amount_cents", sa.BigInteger, nullable=False),  # + in, - out
    sa.Column("balance_cents", sa.BigInteger, nullable=False),  # after the movement
    sa.Column("occurred_at", UtcDateTime(), nullable=False),
    sa.Column("reference", exact_text(MAX_REFERENCE_LENGTH), nullable=False),
    sa.Column("transfer_id", sa.String(36), nullable=False),
    # The movement as the statement answers it: a Movement message, framed as an element.
    sa.Column("wire", sa.LargeBinary, nullable=False),
    mysql_charset="utf8mb4",
    sqlite_with_rowid=False,  # clustered on (account, version): a statement is one walk
)


class Generation(NamedTuple):
    number: int
    accounts: sa.Table
    movements: sa.Table


@functools.cache
def tables_of(generation: int) -> Generation:
    """The tables of a generation (the same objects each time)."""
    named = sa.MetaData()
    return Generation(
        generation,
        _accounts.to_metadata(named, name=f"accounts_g{generation}"),
        _movements.to_metadata(named, name=f"movements_g{generation}"),
    )


def is_generation_table(name: str) -> bool:
    """A table of some generation, or of the layouts before generations."""
    stem, _, number = name.rpartition("_g")
    return name in ("accounts", "movements") or (
        stem in ("accounts", "movements") and number.isdigit()
    )


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
