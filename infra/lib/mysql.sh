# shellcheck shell=bash
# MariaDB (MySQL-compatible) from Debian, run as our own isolated instance:
# own data dir, socket and port, none of /etc/mysql. Sourced by stack.sh.

MYSQL_HOME="$TECHBANK_CACHE/mariadb"
MYSQL_DATA="$MYSQL_HOME/data"
MYSQL_SOCK="$MYSQL_HOME/mysqld.sock" # unix socket paths are limited to ~107 chars
MYSQL_LOG="$MYSQL_HOME/mariadb.log"
MYSQL_PID="$MYSQL_HOME/mariadb.pid"
MYSQL_URL="mysql+aiomysql://techbank:techbank@127.0.0.1:$TECHBANK_MYSQL_PORT/techbank"

mysql_install() {
  if ! command -v mariadbd >/dev/null; then
    log "mysql: installing mariadb-server from Debian"
    # apt_install keeps Debian's postinst from starting a system-wide server on 3306.
    local rc=0
    apt_install mariadb-server || rc=$?
    ((rc == 0)) || die "mysql: apt-get install mariadb-server failed (exit $rc)"
  fi
  # A data dir of our own, created once; root logs in over the socket without password.
  if [[ ! -d $MYSQL_DATA/mysql ]]; then
    log "mysql: initialising data dir $MYSQL_DATA"
    rm -rf "$MYSQL_DATA"
    mkdir -p "$MYSQL_DATA"
    if ! mariadb-install-db --no-defaults --datadir="$MYSQL_DATA" --user=root \
      --auth-root-authentication-method=normal --skip-test-db >"$MYSQL_HOME/install-db.log" 2>&1; then
      rm -rf "$MYSQL_DATA"
      fail_with_logs mysql "mariadb-install-db failed" "$MYSQL_HOME/install-db.log"
    fi
  fi
}

mysql_start() {
  ensure_port_free mysql "$TECHBANK_MYSQL_PORT"
  rm -f "$MYSQL_SOCK"
  # --no-defaults must come first: ignore /etc/mysql entirely.
  # utf8mb4 explicitly, since without Debian's config MariaDB would default to latin1.
  spawn "$MYSQL_PID" "$MYSQL_LOG" \
    mariadbd --no-defaults --datadir="$MYSQL_DATA" --user=root \
    --port="$TECHBANK_MYSQL_PORT" --bind-address=127.0.0.1 --socket="$MYSQL_SOCK" \
    --pid-file="$MYSQL_HOME/mariadbd.pid" --log-error="$MYSQL_LOG" \
    --skip-name-resolve --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci
}

mysql_root() { mariadb --no-defaults --protocol=socket --socket="$MYSQL_SOCK" -uroot --connect-timeout=3 "$@"; }

# Healthy = the server runs a real query for root over its socket.
mysql_health() { mysql_root -N -e 'SELECT 1' >/dev/null 2>&1; }

# Idempotent: database + techbank user (password techbank) from 127.0.0.1 and
# localhost. techbank\_% also lets tests create throwaway databases such as techbank_test.
# techbank administers these databases: it creates one user per role of the read database
# (devtools/read_db_users.py) and grants it what that role needs there (GRANT OPTION), which
# takes the global CREATE USER privilege (it also lets techbank drop or rename any user).
mysql_after_healthy() {
  mysql_root <<'EOF'
CREATE DATABASE IF NOT EXISTS techbank CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER IF NOT EXISTS 'techbank'@'127.0.0.1' IDENTIFIED BY 'techbank';
CREATE USER IF NOT EXISTS 'techbank'@'localhost' IDENTIFIED BY 'techbank';
GRANT ALL PRIVILEGES ON techbank.* TO 'techbank'@'127.0.0.1', 'techbank'@'localhost' WITH GRANT OPTION;
GRANT ALL PRIVILEGES ON `techbank\_%`.* TO 'techbank'@'127.0.0.1', 'techbank'@'localhost' WITH GRANT OPTION;
GRANT CREATE USER ON *.* TO 'techbank'@'127.0.0.1', 'techbank'@'localhost';
EOF
  # Prove the application's own login works over TCP, as aiomysql will use it.
  mariadb --no-defaults --protocol=tcp -h127.0.0.1 -P"$TECHBANK_MYSQL_PORT" -utechbank -ptechbank \
    --connect-timeout=3 -N -e 'SELECT 1' techbank >/dev/null ||
    fail_with_logs mysql "user techbank cannot log in over TCP" "$MYSQL_LOG"
}

mysql_marker() { echo "$MYSQL_DATA"; }
mysql_pidfile() { echo "$MYSQL_PID"; }
mysql_logs() { echo "$MYSQL_LOG"; }
mysql_where() { echo "$MYSQL_URL"; }
