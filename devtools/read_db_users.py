"""MySQL users of the read database, one per role: the projector's may write it, the
query server's may only read it.

    TECHBANK_MYSQL_ADMIN_URL=mysql://admin:...@host:port/ python -m devtools.read_db_users DB DIR

creates (or updates) the users `DB_projector` and `DB_query` and writes the URL each
role connects with to DIR/read_db.url and DIR/query_db.url, for TECHBANK_READ_DB_URL_FILE
and TECHBANK_QUERY_DB_URL_FILE. Their passwords are made once, at random, and kept in
DIR (mode 0600). `make up` runs it (scripts/services.sh); the tests use the functions.
"""

import os
import re
import secrets
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pymysql
from sqlalchemy.engine import URL, make_url

# The projector creates, fills and (after a layout change) drops the read model's tables.
WRITE = "SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, INDEX, ALTER"
READ = "SELECT"
# Techbank's MariaDB skips name resolution: a client over TCP is known by its address.
CLIENT_HOST = "127.0.0.1"


@dataclass(frozen=True)
class DbUser:
    name: str
    password: str = field(default_factory=lambda: secrets.token_urlsafe(24), repr=False)

    def url(self, host: str, port: int, database: str) -> str:
        url = URL.create(
            "mysql+aiomysql", self.name, self.password, host, port, database, {"charset": "utf8mb4"}
        )
        return url.render_as_string(hide_password=False)


def admin_connection(admin_url: str) -> Any:
    url = make_url(admin_url)
    return pymysql.connect(
        host=url.host, port=url.port or 3306, user=url.username, password=url.password or ""
    )


def create_user(
    cursor: Any, user: DbUser, privileges: str, database: str, host: str = CLIENT_HOST
) -> None:
    """Create `user` or set its password, and grant it `privileges` on `database` only."""
    if not re.fullmatch(r"\w+", database):
        raise ValueError(f"not a plain database name: {database!r}")
    who = (user.name, host)
    cursor.execute("CREATE USER IF NOT EXISTS %s@%s IDENTIFIED BY %s", (*who, user.password))
    cursor.execute("ALTER USER %s@%s IDENTIFIED BY %s", (*who, user.password))
    # GRANT reads `_` in a database name as a wildcard: escaped, it names this one only.
    exactly = database.replace("_", r"\_")
    cursor.execute(f"GRANT {privileges} ON `{exactly}`.* TO %s@%s", who)


def drop_user(cursor: Any, name: str, host: str = CLIENT_HOST) -> None:
    cursor.execute("DROP USER IF EXISTS %s@%s", (name, host))


def _secret_file(path: Path, text: str) -> None:
    path.touch(mode=0o600)
    path.chmod(0o600)
    path.write_text(text + "\n")


def _kept_user(directory: Path, name: str) -> DbUser:
    """The user, with the password kept in `directory` (made the first time)."""
    password_file = directory / f"{name}.password"
    if not password_file.exists():
        _secret_file(password_file, DbUser(name).password)
    return DbUser(name, password_file.read_text().strip())


def main(database: str, directory: Path) -> None:
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    admin_url = os.environ["TECHBANK_MYSQL_ADMIN_URL"]
    admin = make_url(admin_url)
    roles = {"read_db": (f"{database}_projector", WRITE), "query_db": (f"{database}_query", READ)}
    connection = admin_connection(admin_url)
    try:
        with connection.cursor() as cursor:
            for role, (name, privileges) in roles.items():
                user = _kept_user(directory, name)
                create_user(cursor, user, privileges, database)
                url = user.url(admin.host or CLIENT_HOST, admin.port or 3306, database)
                _secret_file(directory / f"{role}.url", url)
    finally:
        connection.close()


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]))
