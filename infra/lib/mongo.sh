# shellcheck shell=bash
# FerretDB v1.24.2 (MongoDB wire protocol), built from the Go module proxy as
# infra/ferretdb (our own main module), over PostgreSQL (lib/postgres.sh), which
# is part of this server: started before FerretDB, stopped after it.
# TECHBANK_FERRETDB_BACKEND=sqlite selects FerretDB's SQLite backend instead (no
# PostgreSQL; every query scans its whole collection). Sourced by stack.sh.

FDB_BACKEND="${TECHBANK_FERRETDB_BACKEND:-postgresql}"
case $FDB_BACKEND in
  postgresql | sqlite) ;;
  *) die "TECHBANK_FERRETDB_BACKEND must be postgresql or sqlite, not '$FDB_BACKEND'" ;;
esac
FDB_HOME="$TECHBANK_CACHE/ferretdb"
FDB_BIN="$FDB_HOME/bin/techbank-ferretdb"
FDB_DATA="$FDB_HOME/data" # SQLite backend only
FDB_LOG="$FDB_HOME/ferretdb.log"
FDB_PID="$FDB_HOME/ferretdb.pid"
MONGO_URL="mongodb://127.0.0.1:$TECHBANK_MONGO_PORT/"
if [[ $FDB_BACKEND == postgresql ]]; then
  FDB_ARGS=(-handler postgresql -listen "127.0.0.1:$TECHBANK_MONGO_PORT" -postgresql-url "$PG_URL")
else
  FDB_ARGS=(-handler sqlite -listen "127.0.0.1:$TECHBANK_MONGO_PORT" -sqlite-dir "$FDB_DATA/")
fi

mongo_install() {
  local src="$INFRA_DIR/ferretdb" want
  [[ $FDB_BACKEND == postgresql ]] && postgres_install
  command -v go >/dev/null || die "mongo: go not found (needed to build FerretDB)"
  # Rebuild when our sources, go.sum or the Go toolchain change.
  want=$(
    inputs_hash "$src/go.mod" "$src/go.sum" "$src/main.go"
    go version
  )
  if [[ -x $FDB_BIN && -f $FDB_BIN.inputs && $(<"$FDB_BIN.inputs") == "$want" ]]; then
    install_tools_venv
    return 0
  fi
  log "mongo: building FerretDB (infra/ferretdb) into $FDB_BIN"
  mkdir -p "$(dirname "$FDB_BIN")"
  # -mod=readonly: go.sum is committed, the build must not rewrite go.mod/go.sum.
  # Module and build caches stay at Go's defaults so every clone on the machine shares them.
  (cd "$src" && GOFLAGS="-buildvcs=false -mod=readonly" go build -trimpath -o "$FDB_BIN.tmp" .)
  mv "$FDB_BIN.tmp" "$FDB_BIN"
  echo "$want" >"$FDB_BIN.inputs"
  install_tools_venv
}

# Before FerretDB: a FerretDB running with other settings (the other backend,
# another port) is stopped, since it would pass for "already running"; then
# PostgreSQL is started and healthy.
mongo_before_up() {
  local pid
  if pid=$(live_pid "$FDB_PID" "$FDB_BIN") && ! live_pid "$FDB_PID" "$(mongo_marker)" >/dev/null; then
    log "mongo: FerretDB (pid $pid) runs with other settings than now ($FDB_BACKEND backend); restarting it"
    stop_pid mongo "$FDB_PID" "$FDB_BIN"
  fi
  [[ $FDB_BACKEND == postgresql ]] && postgres_up
  return 0
}

mongo_start() {
  ensure_port_free mongo "$TECHBANK_MONGO_PORT"
  [[ $FDB_BACKEND == sqlite ]] && mkdir -p "$FDB_DATA"
  spawn "$FDB_PID" "$FDB_LOG" "$FDB_BIN" "${FDB_ARGS[@]}"
}

# Healthy = a real MongoDB "ping" command through pymongo answers ok (FerretDB's
# ping also asks its backend for its status, so PostgreSQL is reached too).
mongo_health() {
  port_open "$TECHBANK_MONGO_PORT" || return 1
  "$TOOLS_VENV/bin/python" - "$MONGO_URL" >/dev/null 2>&1 <<'PY'
import sys, pymongo
c = pymongo.MongoClient(sys.argv[1], serverSelectionTimeoutMS=3000, connectTimeoutMS=3000)
assert c.admin.command("ping")["ok"] == 1
PY
}

# FerretDB on either backend (the marker without the backend), then PostgreSQL,
# which is stopped whatever the backend selected now.
mongo_down() {
  stop_pid mongo "$FDB_PID" "$FDB_BIN"
  postgres_down
}

mongo_status() {
  print_status mongo "$FDB_PID" "$(mongo_marker)" mongo_health "$(mongo_where)" "$FDB_BIN"
  if [[ $FDB_BACKEND == postgresql || -e $PG_PID ]]; then postgres_status; fi
}

mongo_after_healthy() { :; }
# The whole command line is the marker: pid checks tell a FerretDB started with
# other settings apart (mongo_down stops FerretDB whatever its settings).
mongo_marker() { echo "$FDB_BIN ${FDB_ARGS[*]} "; }
mongo_pidfile() { echo "$FDB_PID"; }
# PostgreSQL's log too: FerretDB failing to start is often its backend failing.
mongo_logs() {
  if [[ $FDB_BACKEND == postgresql ]]; then echo "$FDB_LOG $PG_LOG"; else echo "$FDB_LOG"; fi
}
mongo_where() {
  if [[ $FDB_BACKEND == postgresql ]]; then
    echo "$MONGO_URL (FerretDB/PostgreSQL, database $PG_DB on 127.0.0.1:$TECHBANK_POSTGRES_PORT)"
  else
    echo "$MONGO_URL (FerretDB/SQLite, data $FDB_DATA)"
  fi
}
