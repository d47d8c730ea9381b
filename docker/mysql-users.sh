#!/bin/bash
# The read database's users, one per role: the projector's may change it, the query
# server's may only read it. docker-compose.yml mounts this file into the mysql image's
# /docker-entrypoint-initdb.d, whose entrypoint runs it once, on an empty data directory,
# with MYSQL_DATABASE created and MYSQL_ROOT_PASSWORD set. The passwords come from the
# environment (TECHBANK_PROJECTOR_DB_PASSWORD, TECHBANK_QUERY_DB_PASSWORD; see docs/docker.md).
# Written to be sourced or run alike: it sets no shell option and defines no function.

# GRANT reads `_` in a database name as a wildcard; escaped, it names this database only.
techbank_database="\`${MYSQL_DATABASE//_/\\_}\`"
techbank_projector_password=$(printf '%s' "${TECHBANK_PROJECTOR_DB_PASSWORD:?}" | sed "s/\\\\/\\\\\\\\/g; s/'/''/g")
techbank_query_password=$(printf '%s' "${TECHBANK_QUERY_DB_PASSWORD:?}" | sed "s/\\\\/\\\\\\\\/g; s/'/''/g")

# --defaults-extra-file must come first; it keeps the root password off the command line.
mysql --defaults-extra-file=<(printf '[client]\npassword="%s"\n' "${MYSQL_ROOT_PASSWORD//\"/\\\"}") \
  --protocol=socket --user=root <<SQL
CREATE USER 'techbank_projector'@'%' IDENTIFIED BY '$techbank_projector_password';
GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, INDEX, ALTER ON $techbank_database.* TO 'techbank_projector'@'%';
CREATE USER 'techbank_query'@'%' IDENTIFIED BY '$techbank_query_password';
GRANT SELECT ON $techbank_database.* TO 'techbank_query'@'%';
SQL
