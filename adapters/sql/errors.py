"""Which failures of a SQL database mean "unavailable, try again later", and which a lost race.

Every adapter on SQLAlchemy sorts its driver's errors here, so that a store that is
down, restarting, overloaded or unreachable answers UNAVAILABLE wherever it is
met, while an error in our own SQL still surfaces as the bug it is. And what makes a
read database's URL wrong rather than its database down, said at start:

a database that is down or busy is waited for. A URL that cannot name a database is
not: a SQLite file in a folder that does not exist (opening it would make a new, empty
database somewhere unexpected, served as if it were the real one), or a MySQL server
that answers that the database is unknown or the user may not log in. Each stops the
process with a ConfigurationError naming the setting, its URL's password redacted.
"""

from pathlib import Path

from sqlalchemy import exc
from sqlalchemy.engine import make_url

from adapters.settings import ConfigurationError, redacted

# Errors that say the statement itself is wrong: a bug or bad data, not an outage.
_OUR_FAULT = (exc.IntegrityError, exc.ProgrammingError, exc.DataError, exc.NotSupportedError)
# MySQL/MariaDB: deadlock found; lock wait timeout exceeded. Running the loser again is safe.
_MYSQL_CONFLICTS = {1213, 1205}
# MySQL/MariaDB: a command denied on a database; on a table.
_MYSQL_DENIED = {1044, 1142}
# MySQL/MariaDB: access denied to a database; for a user (a wrong password); to a table
# (a command the user may not run: the reader's SELECT-only user given to a writer); an
# unknown database. No retry cures them: the URL is wrong.
_MYSQL_REFUSALS = {1044, 1045, 1142, 1049}
_MYSQL_NO_SUCH_TABLE = 1146


def is_unavailable(error: BaseException) -> bool:
    """The database could not be reached or could not do the work now (down, busy, a pool
    with no free connection, a connection lost mid-statement)."""
    if isinstance(error, exc.DBAPIError):
        return not isinstance(error, _OUR_FAULT)
    return isinstance(error, exc.TimeoutError | exc.InterfaceError | ConnectionError)


def is_conflict(error: BaseException) -> bool:
    """The database gave up this transaction to let a concurrent one through."""
    if isinstance(error, _OUR_FAULT):
        return False
    return _mysql_code(error) in _MYSQL_CONFLICTS


def is_denied(error: BaseException) -> bool:
    """The database user lacks the privilege the statement needs."""
    return _mysql_code(error) in _MYSQL_DENIED


def is_missing_table(error: BaseException) -> bool:
    """The statement names a table the database does not have."""
    if _mysql_code(error) == _MYSQL_NO_SUCH_TABLE:
        return True
    return isinstance(error, exc.DBAPIError) and "no such table" in str(error.orig)


def refusal_of(error: BaseException) -> str | None:
    """The server's words, when `error` or what caused it is a MySQL refusal of the
    connection that no retry cures (unknown database, access denied); else None."""
    cause: BaseException | None = error
    while cause is not None:
        args: tuple[object, ...] = getattr(getattr(cause, "orig", cause), "args", ())
        if len(args) >= 2 and isinstance(args[0], int) and args[0] in _MYSQL_REFUSALS:
            return str(args[1])
        cause = cause.__cause__
    return None


def _mysql_code(error: BaseException) -> object:
    if not isinstance(error, exc.DBAPIError):
        return None
    args: tuple[object, ...] = getattr(error.orig, "args", ())
    return args[0] if args else None


IN_MEMORY = ("", ":memory:")


def check_can_exist(setting: str, url: str) -> None:
    """Raise ConfigurationError when `url`, `setting`'s value, is a SQLite file whose
    folder does not exist."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or (parsed.database or "") in IN_MEMORY:
        return
    folder = Path(str(parsed.database)).absolute().parent
    if not folder.is_dir():
        raise ConfigurationError(f"{setting}={redacted(url)}: the folder {folder} does not exist")


def misconfiguration(setting: str, url: str, error: BaseException) -> ConfigurationError | None:
    """`error`, met opening `url` (`setting`'s value), as the ConfigurationError it is,
    when the server refused the URL for good; None when it may be an outage."""
    refusal = refusal_of(error)
    if refusal is None:
        return None
    return ConfigurationError(f"{setting}={redacted(url)}: {refusal}")
