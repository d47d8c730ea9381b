"""The read model's generations: each holds a whole copy of the accounts and movements
tables, named after it (`accounts_g2`, `movements_g2`).

One generation is live: the query servers read it. A rebuild (projector.rebuild) builds
the next beside it while the projector keeps both up to date, then makes it live in
one write of the `read_model_generations` row, and drops the old one a little later:
queries are answered throughout, from the old generation until the switch and from the
new one after it.
"""

import functools
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.dialects import mysql

from adapters.sql.engine import UtcDateTime
from bank.domain.account import MAX_HOLDER_LENGTH, MAX_REFERENCE_LENGTH

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
