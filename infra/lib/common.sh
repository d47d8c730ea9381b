# shellcheck shell=bash
# Shared settings and helpers for infra/stack.sh (sourced, not run).
# Everything installed or written lives under $TECHBANK_CACHE, outside the repo,
# so a fresh clone on the same machine reuses it and a fresh machine rebuilds it.

INFRA_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TECHBANK_CACHE="${TECHBANK_CACHE:-$HOME/.cache/techbank}"
# Absolute, since servers are started in the background and pid checks match paths.
mkdir -p "$TECHBANK_CACHE" && TECHBANK_CACHE="$(cd "$TECHBANK_CACHE" && pwd)"
TECHBANK_KAFKA_PORT="${TECHBANK_KAFKA_PORT:-9092}"
TECHBANK_KAFKA_CONTROLLER_PORT="${TECHBANK_KAFKA_CONTROLLER_PORT:-9093}"
TECHBANK_MONGO_PORT="${TECHBANK_MONGO_PORT:-27017}"
TECHBANK_MYSQL_PORT="${TECHBANK_MYSQL_PORT:-3306}"
# FerretDB's PostgreSQL backend (part of the mongo server); not 5432, to stay clear of a system cluster.
TECHBANK_POSTGRES_PORT="${TECHBANK_POSTGRES_PORT:-5433}"
# Seconds a server may take to answer a real client call before `up` gives up.
TECHBANK_START_TIMEOUT="${TECHBANK_START_TIMEOUT:-120}"
# Seconds `down` waits after SIGTERM before SIGKILL.
TECHBANK_STOP_TIMEOUT="${TECHBANK_STOP_TIMEOUT:-30}"

log() { printf '[stack] %s\n' "$*" >&2; }
die() { printf '[stack] ERROR: %s\n' "$*" >&2; exit 1; }

# Call function $1 with the remaining arguments if it is defined (optional per-server hooks).
hook() { declare -F "$1" >/dev/null || return 0; "$@"; }

# apt-get install "$@" from Debian. Debian's postinst scripts would start the
# system-wide service (MariaDB on 3306, PostgreSQL's `main` cluster on 5432) where
# init scripts run; a temporary policy-rc.d forbids that (only if none exists).
apt_install() {
  local policy=/usr/sbin/policy-rc.d made_policy='' rc=0
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && made_policy=1
  fi
  { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@"; } || rc=$?
  if [[ -n $made_policy ]]; then rm -f "$policy"; fi
  return "$rc"
}

# Content hash of files, used as an "installed from these inputs" marker so that
# install is skipped when nothing changed and redone when a pom/go.sum changes.
inputs_hash() { cat "$@" | sha256sum | cut -d' ' -f1; }

# True if something accepts TCP connections on 127.0.0.1:$1 (bash's /dev/tcp, no extra tools).
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# True while the process exists and is not a zombie: our servers are reparented
# to PID 1, which may reap exited children only every second or two.
pid_alive() {
  local state
  state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
  [[ -n $state && $state != Z ]]
}

# Pid recorded in a pid file, if that process is alive and still is our server
# (its command line contains $2), so a reused pid is not mistaken for ours.
live_pid() {
  local pidfile=$1 marker=$2 pid
  [[ -s $pidfile ]] || return 1
  pid=$(<"$pidfile")
  [[ $pid =~ ^[0-9]+$ ]] && pid_alive "$pid" || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$marker" || return 1
  echo "$pid"
}

# Start "$@" detached (own session, no stdin, output to $logfile) and record its pid.
# setsid without -f execs in place, so $! is the server's own pid.
spawn() {
  local pidfile=$1 logfile=$2; shift 2
  mkdir -p "$(dirname "$pidfile")" "$(dirname "$logfile")"
  setsid "$@" </dev/null >>"$logfile" 2>&1 &
  echo $! >"$pidfile"
}

# Refuse to start when the port is already taken by a process we did not start:
# otherwise the health check would pass against the wrong server.
ensure_port_free() {
  local name=$1 port=$2
  if port_open "$port"; then
    die "$name: port 127.0.0.1:$port is already in use by another process (not started by stack.sh); stop it or set a different port"
  fi
}

# Poll check function "$2" until it succeeds, the process (pid file $3) dies, or the timeout passes.
# On failure, name the server and its log(s), tail them and exit non-zero.
# The process is watched by the pid in $pidfile alone, not by its marker: right after
# spawn, the child may not have exec'd the server yet (its command line is still
# stack.sh's), which a marker check would take for a server that exited.
wait_healthy() {
  local name=$1 check=$2 pidfile=$3; shift 3
  local logs=("$@") deadline=$((SECONDS + TECHBANK_START_TIMEOUT)) pid
  pid=$(<"$pidfile")
  while ((SECONDS < deadline)); do
    if "$check"; then return 0; fi
    if ! pid_alive "$pid"; then
      fail_with_logs "$name" "server process exited during startup" "${logs[@]}"
    fi
    sleep 1
  done
  fail_with_logs "$name" "server did not become healthy within ${TECHBANK_START_TIMEOUT}s" "${logs[@]}"
}

fail_with_logs() {
  local name=$1 why=$2 f; shift 2
  printf '[stack] ERROR: %s: %s. Log: %s\n' "$name" "$why" "$*" >&2
  for f in "$@"; do
    [[ -f $f ]] || continue
    printf '[stack] ---- last lines of %s ----\n' "$f" >&2
    tail -n 30 "$f" >&2
  done
  exit 1
}

# SIGTERM (or signal $4), wait up to TECHBANK_STOP_TIMEOUT, then SIGKILL; always
# remove the pid file.
stop_pid() {
  local name=$1 pidfile=$2 marker=$3 sig=${4:-TERM} pid i
  if ! pid=$(live_pid "$pidfile" "$marker"); then
    rm -f "$pidfile"
    log "$name: not running"
    return 0
  fi
  kill -"$sig" "$pid" 2>/dev/null || true
  for ((i = 0; i < TECHBANK_STOP_TIMEOUT * 10; i++)); do
    pid_alive "$pid" || break
    sleep 0.1
  done
  if pid_alive "$pid"; then
    log "$name: still running ${TECHBANK_STOP_TIMEOUT}s after SIG$sig, sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    while pid_alive "$pid"; do sleep 0.1; done
  fi
  rm -f "$pidfile"
  log "$name: stopped (pid $pid)"
}

# One-line state for `status`: running+healthy / running but not answering / running
# with other settings (alive per the looser marker $6, if given, but not per $3) /
# stale / stopped.
print_status() {
  local name=$1 pidfile=$2 marker=$3 check=$4 where=$5 any_marker=${6:-} pid
  if [[ -n $any_marker ]] && pid=$(live_pid "$pidfile" "$any_marker") && ! live_pid "$pidfile" "$marker" >/dev/null; then
    printf '%-8s running  pid %-7s OTHER SETTINGS than now, "up" restarts it: %s\n' "$name" "$pid" \
      "$(tr '\0' ' ' <"/proc/$pid/cmdline")"
  elif pid=$(live_pid "$pidfile" "$marker"); then
    if "$check"; then
      printf '%-8s running  pid %-7s healthy      %s\n' "$name" "$pid" "$where"
    else
      printf '%-8s running  pid %-7s NOT ANSWERING %s\n' "$name" "$pid" "$where"
    fi
  elif [[ -e $pidfile ]]; then
    printf '%-8s crashed  (stale pid file %s; "up" restarts it)\n' "$name" "$pidfile"
  else
    printf '%-8s stopped\n' "$name"
  fi
}

# A small venv in the cache with pymongo, for FerretDB's health check
# (a real MongoDB "ping") and for smoke tests.
TOOLS_VENV="$TECHBANK_CACHE/tools-venv"
PYMONGO_VERSION="${TECHBANK_PYMONGO_VERSION:-4.20.1}"
install_tools_venv() {
  local marker="$TOOLS_VENV/.installed-pymongo-$PYMONGO_VERSION"
  [[ -f $marker ]] && return 0
  log "tools venv: creating $TOOLS_VENV with pymongo==$PYMONGO_VERSION"
  rm -rf "$TOOLS_VENV"
  python3 -m venv "$TOOLS_VENV"
  "$TOOLS_VENV/bin/pip" install -q "pymongo==$PYMONGO_VERSION"
  touch "$marker"
}
