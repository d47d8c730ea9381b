# shellcheck shell=bash
# FerretDB v1.24.2 (MongoDB wire protocol) over SQLite, built from the Go
# module proxy as infra/ferretdb (our own main module). Sourced by stack.sh.

FDB_HOME="$TECHBANK_CACHE/ferretdb"
FDB_BIN="$FDB_HOME/bin/techbank-ferretdb"
FDB_DATA="$FDB_HOME/data"
FDB_LOG="$FDB_HOME/ferretdb.log"
FDB_PID="$FDB_HOME/ferretdb.pid"
MONGO_URL="mongodb://127.0.0.1:$TECHBANK_MONGO_PORT/"

mongo_install() {
  local src="$INFRA_DIR/ferretdb" want
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

mongo_start() {
  ensure_port_free mongo "$TECHBANK_MONGO_PORT"
  mkdir -p "$FDB_DATA"
  spawn "$FDB_PID" "$FDB_LOG" \
    "$FDB_BIN" -listen "127.0.0.1:$TECHBANK_MONGO_PORT" -handler sqlite -sqlite-dir "$FDB_DATA/"
}

# Healthy = a real MongoDB "ping" command through pymongo answers ok.
mongo_health() {
  port_open "$TECHBANK_MONGO_PORT" || return 1
  "$TOOLS_VENV/bin/python" - "$MONGO_URL" >/dev/null 2>&1 <<'EOF'
import sys, pymongo
c = pymongo.MongoClient(sys.argv[1], serverSelectionTimeoutMS=3000, connectTimeoutMS=3000)
assert c.admin.command("ping")["ok"] == 1
EOF
}

mongo_after_healthy() { :; }
mongo_marker() { echo "$FDB_BIN"; }
mongo_pidfile() { echo "$FDB_PID"; }
mongo_logs() { echo "$FDB_LOG"; }
mongo_where() { echo "$MONGO_URL (FerretDB/SQLite, data $FDB_DATA)"; }
