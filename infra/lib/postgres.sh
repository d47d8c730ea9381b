# shellcheck shell=bash
# PostgreSQL from Debian as FerretDB's backend: part of the `mongo` server, not a
# server of its own (`up mongo` starts it before FerretDB, `down mongo` stops it
# after). An isolated cluster of ours: own data dir, socket dir and port under
# $TECHBANK_CACHE/postgresql, none of /etc/postgresql or Debian's `main` cluster.
# postgres refuses to run as root, so the cluster belongs to the `postgres` OS user
# that Debian's package creates. Sourced by stack.sh after common.sh.

PG_HOME="$TECHBANK_CACHE/postgresql"
PG_DATA="$PG_HOME/data"  # owned by postgres, mode 0700 (postgres insists)
PG_RUN="$PG_HOME/run"    # unix socket dir; socket paths are limited to ~107 chars
PG_LOG="$PG_HOME/postgresql.log"
PG_PID="$PG_HOME/postgresql.pid"
PG_OS_USER=postgres
# The role and database FerretDB uses (password auth over TCP on 127.0.0.1 only).
PG_ROLE=ferretdb
PG_DB=ferretdb
PG_URL="postgres://$PG_ROLE:$PG_ROLE@127.0.0.1:$TECHBANK_POSTGRES_PORT/$PG_DB"

# Directory of the server binaries (Debian keeps them off PATH, one dir per major
# version): the version the cluster was initialised with, else the newest installed.
pg_bindir() {
  local v d
  if [[ -f $PG_DATA/PG_VERSION ]]; then
    v=$(<"$PG_DATA/PG_VERSION")
    [[ -x /usr/lib/postgresql/$v/bin/postgres ]] || return 1
    echo "/usr/lib/postgresql/$v/bin"
    return 0
  fi
  d=$(find /usr/lib/postgresql -mindepth 3 -maxdepth 3 -path '*/bin/postgres' -type f 2>/dev/null |
    sort -V | tail -n 1)
  [[ -n $d ]] || return 1
  dirname "$d"
}

# Run a one-shot command as the postgres OS user (runuser: we are root).
as_pg() { runuser -u "$PG_OS_USER" -- "$@"; }

# The postgres user must reach $PG_HOME. A cache under a 0700 home (root's /root)
# is closed to it; then grant it search (x) permission, nothing more and to no one
# else, on each ancestor that blocks it, with a POSIX ACL (setfacl, Debian's `acl`).
pg_make_reachable() {
  local d path="" parts=()
  as_pg test -x "$PG_HOME" && return 0
  if ! command -v setfacl >/dev/null; then
    log "mongo: $PG_OS_USER cannot reach $PG_HOME; installing acl (setfacl) from Debian"
    apt_install acl || die "mongo: apt-get install acl failed"
  fi
  IFS=/ read -ra parts <<<"${PG_HOME#/}"
  for d in "${parts[@]}"; do
    path+="/$d"
    as_pg test -x "$path" && continue
    log "mongo: granting $PG_OS_USER search permission (ACL u:$PG_OS_USER:x) on $path"
    setfacl -m "u:$PG_OS_USER:x" "$path" || die "mongo: setfacl on $path failed; set TECHBANK_CACHE to a directory $PG_OS_USER can reach"
  done
  as_pg test -x "$PG_HOME" || die "mongo: $PG_OS_USER still cannot reach $PG_HOME"
}

postgres_install() {
  if ! pg_bindir >/dev/null; then
    if [[ -f $PG_DATA/PG_VERSION ]]; then
      die "mongo: the cluster $PG_DATA is PostgreSQL $(<"$PG_DATA/PG_VERSION"), whose binaries are not installed; install them or remove $PG_HOME"
    fi
    log "mongo: installing postgresql from Debian"
    apt_install postgresql || die "mongo: apt-get install postgresql failed"
    pg_bindir >/dev/null || die "mongo: no /usr/lib/postgresql/*/bin/postgres after installing postgresql"
  fi
  id "$PG_OS_USER" >/dev/null 2>&1 || die "mongo: no '$PG_OS_USER' OS user (Debian's postgresql package creates it)"
  mkdir -p "$PG_HOME"
  pg_make_reachable
  install -d -o "$PG_OS_USER" -g "$PG_OS_USER" -m 0755 "$PG_RUN"
  # The cluster, created once: initdb into a temp dir, then rename (nothing in a
  # cluster records its own path), so an interrupted run never leaves half a cluster.
  if [[ ! -f $PG_DATA/PG_VERSION ]]; then
    local bin t0=$SECONDS
    bin=$(pg_bindir)
    log "mongo: initialising PostgreSQL cluster $PG_DATA ($bin)"
    rm -rf "$PG_DATA" "$PG_DATA.tmp"
    install -d -o "$PG_OS_USER" -g "$PG_OS_USER" -m 0700 "$PG_DATA.tmp"
    # Local (socket) logins: peer, i.e. only the postgres OS user as role postgres;
    # TCP logins: password (scram-sha-256).
    if ! as_pg "$bin/initdb" -D "$PG_DATA.tmp" --username=postgres --encoding=UTF8 --locale=C \
      --auth-local=peer --auth-host=scram-sha-256 >"$PG_HOME/initdb.log" 2>&1; then
      rm -rf "$PG_DATA.tmp"
      fail_with_logs mongo "initdb failed" "$PG_HOME/initdb.log"
    fi
    mv "$PG_DATA.tmp" "$PG_DATA"
    log "mongo: cluster initialised ($((SECONDS - t0))s)"
  fi
}

# Settings on the command line rather than in postgresql.conf: a changed
# TECHBANK_POSTGRES_PORT shows in the command line, and postgres_up restarts.
# plan_cache_mode: FerretDB prepares and caches its statements, and a generic plan of
# `_jsonb->$1 @> $2` never uses an expression index (see pg_gin_mirrors below).
PG_ARGS=(-D "$PG_DATA" -c listen_addresses=127.0.0.1 -c port="$TECHBANK_POSTGRES_PORT"
  -c unix_socket_directories="$PG_RUN" -c logging_collector=off
  -c plan_cache_mode=force_custom_plan)
# The postmaster's command line, as /proc shows it, when it runs with today's settings.
pg_marker() { echo "$(pg_bindir)/postgres ${PG_ARGS[*]} "; }

# setpriv, not runuser: it execs postgres in place (the pid file holds the
# postmaster's own pid), where runuser would stay as parent and SIGKILL postgres
# 2 s after forwarding it SIGTERM.
postgres_start() {
  ensure_port_free "mongo (postgresql)" "$TECHBANK_POSTGRES_PORT"
  spawn "$PG_PID" "$PG_LOG" \
    setpriv --reuid="$PG_OS_USER" --regid="$PG_OS_USER" --init-groups -- \
    "$(pg_bindir)/postgres" "${PG_ARGS[@]}"
}

# psql as the postgres superuser over our socket (peer auth), no ~/.psqlrc.
pg_psql() {
  as_pg "$(pg_bindir)/psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_RUN" -p "$TECHBANK_POSTGRES_PORT" -U postgres "$@"
}

# Healthy = the server runs a real query for the superuser over its socket.
postgres_health() { pg_psql -d postgres -At -c 'SELECT 1' >/dev/null 2>&1; }

# Idempotent: role and database for FerretDB, then prove its own login over TCP works.
postgres_after_healthy() {
  pg_psql -d postgres <<EOF
SELECT 'CREATE ROLE $PG_ROLE LOGIN' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$PG_ROLE')\\gexec
ALTER ROLE $PG_ROLE LOGIN PASSWORD '$PG_ROLE';
SELECT 'CREATE DATABASE $PG_DB OWNER $PG_ROLE' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$PG_DB')\\gexec
EOF
  PGPASSWORD=$PG_ROLE PGCONNECT_TIMEOUT=3 "$(pg_bindir)/psql" -X -q -h 127.0.0.1 -p "$TECHBANK_POSTGRES_PORT" \
    -U "$PG_ROLE" -d "$PG_DB" -At -c 'SELECT 1' >/dev/null ||
    fail_with_logs "mongo (postgresql)" "role $PG_ROLE cannot log in to database $PG_DB over TCP" "$PG_LOG"
  pg_gin_mirrors
}

# FerretDB 1.24 turns a MongoDB equality filter on a field into
# `WHERE _jsonb->'field' @> $2`, which the btree index it creates for that field
# (on `(_jsonb -> 'field'::text)`) cannot serve; a GIN index on the same expression
# can. An event trigger gives every such btree index a GIN twin as FerretDB creates
# it, and existing ones get theirs now; the application stays plain MongoDB. Only the
# index's leading field is mirrored: that is the one an equality filter narrows by.
pg_gin_mirrors() {
  pg_psql -d "$PG_DB" <"$INFRA_DIR/lib/gin_mirrors.sql" >/dev/null
}

# Start (if needed) and wait until healthy; a crashed postgres (stale pid file) is
# restarted, and so is one running with other settings (port, binaries).
# FerretDB must not be running on it (mongo_before_up sees to that).
postgres_up() {
  local pid
  if pid=$(live_pid "$PG_PID" "$PG_DATA") && ! live_pid "$PG_PID" "$(pg_marker)" >/dev/null; then
    log "mongo: postgresql (pid $pid) runs with other settings than now; restarting it"
    postgres_down
  fi
  if pid=$(live_pid "$PG_PID" "$PG_DATA"); then
    if ! postgres_health; then
      log "mongo: postgresql running (pid $pid) but not answering yet; waiting"
      wait_healthy "mongo (postgresql)" postgres_health "$PG_PID" "$PG_LOG"
    fi
  else
    [[ -e $PG_PID ]] && log "mongo: postgresql: stale pid file (crashed?), restarting"
    rm -f "$PG_PID"
    postgres_start
    log "mongo: postgresql started (pid $(<"$PG_PID")), waiting until healthy"
    wait_healthy "mongo (postgresql)" postgres_health "$PG_PID" "$PG_LOG"
  fi
  postgres_after_healthy
}

# SIGINT is PostgreSQL's "fast" shutdown (SIGTERM, "smart", would wait for clients).
postgres_down() { stop_pid "mongo (postgresql)" "$PG_PID" "$PG_DATA" INT; }

postgres_status() {
  print_status postgres "$PG_PID" "$(pg_marker)" postgres_health \
    "postgresql://127.0.0.1:$TECHBANK_POSTGRES_PORT (PostgreSQL $(cat "$PG_DATA/PG_VERSION" 2>/dev/null || echo '?'), FerretDB's backend, data $PG_DATA)" \
    "$PG_DATA"
}
