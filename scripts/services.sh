#!/usr/bin/env bash
# Starts or stops Techbank's three processes on the real stack (servers from infra/stack.sh):
#   scripts/services.sh up PYTHON | down | status | run PYTHON MODULE [ARGS...]
# `run` starts another module with the same configuration, e.g. projector.restore.
# Pid files and logs live in $TECHBANK_CACHE/run, like the servers' own.
set -euo pipefail
cd "$(dirname "$0")/.."
run_dir="${TECHBANK_CACHE:-$HOME/.cache/techbank}/run"
mkdir -p "$run_dir"

export TECHBANK_EVENT_STORE_URL=${TECHBANK_EVENT_STORE_URL:-mongodb://127.0.0.1:${TECHBANK_MONGO_PORT:-27017}/techbank}
export TECHBANK_EVENT_BUS_URL=${TECHBANK_EVENT_BUS_URL:-kafka://127.0.0.1:${TECHBANK_KAFKA_PORT:-9092}/techbank.account.events}
export TECHBANK_READ_DB_URL=${TECHBANK_READ_DB_URL:-mysql+aiomysql://techbank:techbank@127.0.0.1:${TECHBANK_MYSQL_PORT:-3306}/techbank?charset=utf8mb4}
services=(projector command_server query_server)

running() { [[ -f "$run_dir/$1.pid" ]] && kill -0 "$(cat "$run_dir/$1.pid")" 2>/dev/null; }

start() {
  local python=$1 service=$2
  if running "$service"; then echo "[services] $service: already running"; return; fi
  # A fresh log per start, the previous one kept beside it: readiness is read from the log.
  [[ -f "$run_dir/$service.log" ]] && mv "$run_dir/$service.log" "$run_dir/$service.log.1"
  "$python" -m "$service" >"$run_dir/$service.log" 2>&1 &
  echo $! >"$run_dir/$service.pid"
}

wait_ready() {
  local python=$1
  if ! "$python" scripts/wait_ready.py "$run_dir" \
      "${TECHBANK_COMMAND_ADDRESS:-127.0.0.1:50051}" "${TECHBANK_QUERY_ADDRESS:-127.0.0.1:50052}"; then
    for service in "${services[@]}"; do
      echo "--- $run_dir/$service.log (last lines)" >&2
      tail -n 15 "$run_dir/$service.log" >&2 || true
    done
    exit 1
  fi
}

stop() {
  local service=$1
  running "$service" || { rm -f "$run_dir/$service.pid"; return; }
  local pid; pid=$(cat "$run_dir/$service.pid")
  kill -TERM "$pid"
  for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$run_dir/$service.pid"
}

case "${1:-}" in
  up)
    for service in "${services[@]}"; do start "$2" "$service"; done
    wait_ready "$2"
    echo "[services] up: command server ${TECHBANK_COMMAND_ADDRESS:-127.0.0.1:50051}," \
      "query server ${TECHBANK_QUERY_ADDRESS:-127.0.0.1:50052}; logs in $run_dir" ;;
  down)
    for service in query_server command_server projector; do stop "$service"; done
    echo "[services] down" ;;
  status)
    for service in "${services[@]}"; do
      if running "$service"; then echo "$service running (pid $(cat "$run_dir/$service.pid"))"
      else echo "$service stopped"; fi
    done ;;
  run)
    shift
    python=$1 module=$2
    shift 2
    exec "$python" -m "$module" "$@" ;;
  *) echo "usage: $0 up PYTHON | down | status | run PYTHON MODULE [ARGS...]" >&2; exit 2 ;;
esac
