#!/usr/bin/env bash
# Runs the embedded default: the command server (`python -m embedded`, with the projector
# inside, on the in-process bus) and the query server, as two processes, until Ctrl-C or SIGTERM.
set -euo pipefail
python=$1
cd "$(dirname "$0")/.."
export TECHBANK_DATA_DIR=${TECHBANK_DATA_DIR:-data}
# The projector and the query server make no folder for the read database (a mistyped
# one would hold a new, empty database): the data folder is made here, before both start.
mkdir -p "$TECHBANK_DATA_DIR"
export TECHBANK_COMMAND_METRICS_ADDRESS=${TECHBANK_COMMAND_METRICS_ADDRESS-127.0.0.1:9464}
export TECHBANK_QUERY_METRICS_ADDRESS=${TECHBANK_QUERY_METRICS_ADDRESS-127.0.0.1:9465}

pids=()
stop() {
  trap - INT TERM EXIT
  kill -TERM "${pids[@]}" 2>/dev/null || true
  wait "${pids[@]}" 2>/dev/null || true
}
trap stop INT TERM EXIT

"$python" -m embedded & pids+=($!)
"$python" -m query_server & pids+=($!)
echo "techbank: command server on ${TECHBANK_COMMAND_ADDRESS:-127.0.0.1:50051}," \
  "query server on ${TECHBANK_QUERY_ADDRESS:-127.0.0.1:50052}, data in $TECHBANK_DATA_DIR/" \
  "(Ctrl-C stops both)"
echo "techbank: metrics on http://$TECHBANK_COMMAND_METRICS_ADDRESS/metrics and" \
  "http://$TECHBANK_QUERY_METRICS_ADDRESS/metrics"
# Whichever stops first (a crash, or a signal) stops the other too.
wait -n "${pids[@]}"
