"""What makes a read database's URL wrong rather than its database down, said at start.

A database that is down or busy is waited for. A URL that cannot name a database is
not: a SQLite file in a folder that does not exist (opening it would make a new, empty
database somewhere unexpected, served as if it were the real one), or a MySQL server
that answers that the database is unknown or the user may not log in. Each stops the
process with a ConfigurationError naming the setting, its URL's password redacted.
"""

from pathlib import Path

from sqlalchemy.engine import make_url

from adapters.redaction import redacted
from adapters.settings import ConfigurationError
from adapters.sql.errors import refusal_of

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
