#!/usr/bin/env bash
# Techbank's local/CI servers without Docker: Kafka (KRaft), FerretDB (MongoDB
# wire protocol, over its own PostgreSQL) and MariaDB (MySQL), all on 127.0.0.1,
# all installed and kept under ${TECHBANK_CACHE:-~/.cache/techbank}.
#
# Usage: infra/stack.sh install|up|down|status|env [kafka|mongo|mysql|nginx ...]
#        infra/stack.sh kafka-tool <main class> [args]   # run a Kafka CLI class
#   install  fetch/build/initialise what is missing (idempotent, seconds when done)
#   up       install, then start what is not running and wait until each answers a
#            real client call; a crashed server (stale pid file) is restarted.
#            nginx is a tool, not a server: installed, never started (tests run their own)
#   down     SIGTERM (PostgreSQL: SIGINT), wait, SIGKILL if needed; removes pid files
#   status   state of each server
#   env      export lines with the connection settings, for `eval "$(infra/stack.sh env)"`
#   down postgres  stop only FerretDB's backend, FerretDB left running (fault tests);
#            `up mongo` starts it again
# Ports: TECHBANK_KAFKA_PORT=9092 (controller TECHBANK_KAFKA_CONTROLLER_PORT=9093),
#        TECHBANK_MONGO_PORT=27017 (its PostgreSQL TECHBANK_POSTGRES_PORT=5433),
#        TECHBANK_MYSQL_PORT=3306.
# shellcheck source-path=SCRIPTDIR
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib/common.sh
source "$here/lib/common.sh"
# shellcheck source=lib/kafka.sh
source "$here/lib/kafka.sh"
# shellcheck source=lib/postgres.sh
source "$here/lib/postgres.sh"
# shellcheck source=lib/mongo.sh
source "$here/lib/mongo.sh"
# shellcheck source=lib/mysql.sh
source "$here/lib/mysql.sh"
# shellcheck source=lib/nginx.sh
source "$here/lib/nginx.sh"

ALL_SERVERS=(kafka mongo mysql)
# Installed with the servers, never started: the tests run their own.
ALL_TOOLS=(nginx)

# Sets SERVERS and TOOLS from the arguments (all when none); accepts product names too.
SERVERS=()
TOOLS=()
parse_servers() {
  local a
  (($# == 0)) && set -- "${ALL_SERVERS[@]}" "${ALL_TOOLS[@]}"
  for a in "$@"; do
    case $a in
      kafka) SERVERS+=(kafka) ;;
      mongo | mongodb | ferretdb) SERVERS+=(mongo) ;;
      mysql | mariadb) SERVERS+=(mysql) ;;
      nginx) TOOLS+=(nginx) ;;
      *) die "unknown server '$a' (expected kafka, mongo, mysql or nginx)" ;;
    esac
  done
}

cmd_install() {
  local s t0
  for s in "$@"; do
    t0=$SECONDS
    "${s}_install"
    log "$s: installed ($((SECONDS - t0))s)"
  done
}

cmd_up() {
  local s pid pidfile marker t0=$SECONDS
  local -a waiting=()
  cmd_install "$@"
  # Launch everything first, then wait: the three boot in parallel (a server's
  # own dependency, mongo's PostgreSQL, is started and awaited in its before_up).
  for s in "$@"; do
    hook "${s}_before_up"
    pidfile=$("${s}_pidfile") marker=$("${s}_marker")
    if pid=$(live_pid "$pidfile" "$marker"); then
      if "${s}_health"; then
        log "$s: already running (pid $pid)"
        "${s}_after_healthy"
        continue
      fi
      log "$s: running (pid $pid) but not answering yet; waiting"
    else
      [[ -e $pidfile ]] && log "$s: stale pid file (crashed?), restarting"
      rm -f "$pidfile"
      "${s}_start"
      log "$s: started (pid $(<"$pidfile")), waiting until healthy"
    fi
    waiting+=("$s")
  done
  for s in ${waiting[@]+"${waiting[@]}"}; do
    # shellcheck disable=SC2046 # log paths contain no spaces unless TECHBANK_CACHE does
    wait_healthy "$s" "${s}_health" "$("${s}_pidfile")" $("${s}_logs")
    "${s}_after_healthy"
    log "$s: healthy — $("${s}_where")"
  done
  log "up: done in $((SECONDS - t0))s"
}

cmd_down() {
  local s
  for s in "$@"; do
    if declare -F "${s}_down" >/dev/null; then
      "${s}_down"
    else
      stop_pid "$s" "$("${s}_pidfile")" "$("${s}_marker")"
    fi
  done
}

cmd_status() {
  local s
  for s in "$@"; do
    if declare -F "${s}_status" >/dev/null; then
      "${s}_status"
    else
      print_status "$s" "$("${s}_pidfile")" "$("${s}_marker")" "${s}_health" "$("${s}_where")"
    fi
  done
}

cmd_env() {
  cat <<EOF
export TECHBANK_KAFKA_BOOTSTRAP=$KAFKA_BOOTSTRAP
export TECHBANK_MONGO_URL=$MONGO_URL
export TECHBANK_MYSQL_URL=$MYSQL_URL
export TECHBANK_NGINX=$NGINX_BIN
EOF
}

main() {
  local cmd=${1:-}
  (($#)) && shift
  case $cmd in
    down)
      if [[ ${1:-} == postgres ]]; then
        postgres_down
        return
      fi
      parse_servers "$@"
      cmd_down ${SERVERS[@]+"${SERVERS[@]}"}
      ;;
    install | status)
      parse_servers "$@"
      "cmd_$cmd" ${SERVERS[@]+"${SERVERS[@]}"} ${TOOLS[@]+"${TOOLS[@]}"}
      ;;
    up)
      parse_servers "$@"
      cmd_install ${TOOLS[@]+"${TOOLS[@]}"}
      cmd_up ${SERVERS[@]+"${SERVERS[@]}"}
      ;;
    env) cmd_env ;;
    kafka-tool) kafka_tool "$@" ;;
    *)
      sed -n '6,19p' "$0" | sed 's/^# \{0,1\}//' >&2
      exit 2
      ;;
  esac
}

main "$@"
