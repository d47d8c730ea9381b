#!/usr/bin/env bash
# Starts or stops Techbank's three processes on the real stack (servers from infra/stack.sh):
#   scripts/services.sh up PYTHON | down | status | run PYTHON MODULE [ARGS...]
# `run` starts another module with the same configuration, e.g. `admin restore`.
# Pid files and logs live in $TECHBANK_CACHE/run, like the servers' own.
set -euo pipefail
cd "$(dirname "$0")/.."
run_dir="${TECHBANK_CACHE:-$HOME/.cache/techbank}/run"
secrets_dir="$run_dir/secrets"
mkdir -p "$run_dir"

export TECHBANK_EVENT_STORE_URL=${TECHBANK_EVENT_STORE_URL:-mongodb://127.0.0.1:${TECHBANK_MONGO_PORT:-27017}/techbank}
export TECHBANK_EVENT_BUS_URL=${TECHBANK_EVENT_BUS_URL:-kafka://127.0.0.1:${TECHBANK_KAFKA_PORT:-9092}/techbank.account.events}
services=(projector command_server query_server)
# Prometheus metrics of each process (empty: none), on loopback unless told otherwise.
export TECHBANK_COMMAND_METRICS_ADDRESS=${TECHBANK_COMMAND_METRICS_ADDRESS-127.0.0.1:9464}
export TECHBANK_QUERY_METRICS_ADDRESS=${TECHBANK_QUERY_METRICS_ADDRESS-127.0.0.1:9465}
export TECHBANK_PROJECTOR_METRICS_ADDRESS=${TECHBANK_PROJECTOR_METRICS_ADDRESS-127.0.0.1:9466}

# The read database: unless TECHBANK_READ_DB_URL (or _FILE) names one, the `techbank`
# database of infra's MariaDB, with a user per role (devtools/read_db_users.py) whose URLs
# are handed over in files. A given URL serves the query server too, unless
# TECHBANK_QUERY_DB_URL (or _FILE) is given as well.
read_db_users() {
  local python=$1 admin_url
  if [[ -n ${TECHBANK_READ_DB_URL:-}${TECHBANK_READ_DB_URL_FILE:-} ]]; then
    if [[ -z ${TECHBANK_QUERY_DB_URL:-}${TECHBANK_QUERY_DB_URL_FILE:-} ]]; then
      export TECHBANK_QUERY_DB_URL=${TECHBANK_READ_DB_URL:-}
      export TECHBANK_QUERY_DB_URL_FILE=${TECHBANK_READ_DB_URL_FILE:-}
    fi
    return
  fi
  # In a subshell: the admin's URL reaches no service.
  admin_url=$(eval "$(infra/stack.sh env)" && echo "$TECHBANK_MYSQL_URL")
  TECHBANK_MYSQL_ADMIN_URL=$admin_url "$python" -m devtools.read_db_users techbank "$secrets_dir"
  export TECHBANK_READ_DB_URL_FILE=$secrets_dir/read_db.url
  export TECHBANK_QUERY_DB_URL_FILE=$secrets_dir/query_db.url
}

# Least privilege: the command server (on Kafka) is given no read database, the projector
# the writer's URL of it, the query server the reader's URL and nothing else.
withheld() {
  case $1 in
    command_server) echo TECHBANK_READ_DB_URL TECHBANK_QUERY_DB_URL ;;
    projector) echo TECHBANK_QUERY_DB_URL ;;
    query_server) echo TECHBANK_READ_DB_URL TECHBANK_EVENT_STORE_URL TECHBANK_EVENT_BUS_URL ;;
  esac
}

running() { [[ -f "$run_dir/$1.pid" ]] && kill -0 "$(cat "$run_dir/$1.pid")" 2>/dev/null; }

start() {
  local python=$1 service=$2 name
  local -a unset=()
  if running "$service"; then echo "[services] $service: already running"; return; fi
  for name in $(withheld "$service"); do unset+=(-u "$name" -u "${name}_FILE"); done
  # A fresh log per start, the previous one kept beside it: readiness is read from the log.
  [[ -f "$run_dir/$service.log" ]] && mv "$run_dir/$service.log" "$run_dir/$service.log.1"
  env "${unset[@]}" "$python" -m "$service" >"$run_dir/$service.log" 2>&1 &
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
    read_db_users "$2"
    for service in "${services[@]}"; do start "$2" "$service"; done
    wait_ready "$2"
    echo "[services] up: command server ${TECHBANK_COMMAND_ADDRESS:-127.0.0.1:50051}," \
      "query server ${TECHBANK_QUERY_ADDRESS:-127.0.0.1:50052}; logs in $run_dir"
    echo "[services] metrics: http://$TECHBANK_COMMAND_METRICS_ADDRESS/metrics (command server)," \
      "http://$TECHBANK_QUERY_METRICS_ADDRESS/metrics (query server)," \
      "http://$TECHBANK_PROJECTOR_METRICS_ADDRESS/metrics (projector)"
    echo "[services] traces: set OTEL_EXPORTER_OTLP_ENDPOINT (OTLP/gRPC) or" \
      "OTEL_TRACES_EXPORTER=console before make up; TECHBANK_LOG_FORMAT=json for JSON logs" ;;
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
    read_db_users "$python"
    exec "$python" -m "$module" "$@" ;;
  *) echo "usage: $0 up PYTHON | down | status | run PYTHON MODULE [ARGS...]" >&2; exit 2 ;;
esac
