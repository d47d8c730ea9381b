"""SQL databases through SQLAlchemy (and asyncmy for MySQL reads): MySQL (MariaDB here),
and SQLite where one code path matters more than the last microsecond."""
