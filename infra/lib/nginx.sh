# shellcheck shell=bash
# nginx from Debian, for the tests of docker-compose.yml's gRPC proxy
# (tests/faults/test_one_address.py): a tool, not a server. `install` and `up` put it
# in $TECHBANK_CACHE/nginx; each test starts and stops its own nginx (harness/proxy.py).
# Sourced by stack.sh after common.sh.
#
# Debian's `nginx` package is unpacked, not installed: its postinst (and nginx-common's)
# would start a system-wide nginx on port 80. The binary needs no file of nginx-common:
# the tests give it a whole configuration of their own. Its shared libraries are
# ordinary Debian libraries, installed by apt when missing (none of them starts anything).
# curl comes along: the tests run docker-compose.yml's health check of the proxy, which
# is a curl command (the nginx image has curl).

NGINX_HOME="$TECHBANK_CACHE/nginx"
NGINX_ROOT="$NGINX_HOME/root"
NGINX_BIN="$NGINX_ROOT/usr/sbin/nginx"

# gRPC proxying needs HTTP/2 (ngx_http_v2_module, not built by default) and the grpc
# module (built by default).
nginx_usable() {
  local built
  built=$("$NGINX_BIN" -V 2>&1) || return 1
  [[ $built == *--with-http_v2_module* && $built != *--without-http_grpc_module* ]]
}

# The package's Depends, minus nginx-common and iproute2 (for Debian's service scripts),
# one package name a line.
nginx_library_depends() {
  dpkg-deb -f "$1" Depends | tr ',' '\n' | sed 's/|.*//; s/(.*)//; s/[[:space:]]//g' |
    grep -vxE 'nginx-common|iproute2|'
}

nginx_install() {
  if [[ -x $NGINX_BIN ]] && nginx_usable; then
    install_curl
    return 0
  fi
  local work deb lib missing=()
  work=$(mktemp -d)
  log "nginx: unpacking Debian's nginx into $NGINX_ROOT (not installed: no service started)"
  # As root into a directory apt's sandbox user cannot write: say so instead of a warning.
  if ! (cd "$work" && apt-get download -q -o APT::Sandbox::User=root nginx >/dev/null 2>&1); then
    apt-get update -q >/dev/null || die "nginx: apt-get update failed"
    (cd "$work" && apt-get download -q -o APT::Sandbox::User=root nginx) ||
      die "nginx: apt-get download nginx failed"
  fi
  deb=$(find "$work" -name 'nginx_*.deb' -print -quit)
  for lib in $(nginx_library_depends "$deb"); do
    dpkg-query -W -f='${Status}' "$lib" 2>/dev/null | grep -q 'install ok installed' || missing+=("$lib")
  done
  if ((${#missing[@]})); then
    log "nginx: installing its libraries from Debian: ${missing[*]}"
    apt_install "${missing[@]}" || die "nginx: apt-get install ${missing[*]} failed"
  fi
  rm -rf "$NGINX_ROOT" "$NGINX_ROOT.tmp"
  mkdir -p "$NGINX_HOME"
  dpkg-deb -x "$deb" "$NGINX_ROOT.tmp" || die "nginx: dpkg-deb -x $deb failed"
  mv "$NGINX_ROOT.tmp" "$NGINX_ROOT"
  rm -rf "$work"
  nginx_usable || die "nginx: $NGINX_BIN does not run, or was built without --with-http_v2_module: $("$NGINX_BIN" -V 2>&1 | tail -n 1)"
  install_curl
}

install_curl() {
  command -v curl >/dev/null && return 0
  log "nginx: installing curl from Debian (the proxy's health check in docker-compose.yml)"
  apt_install curl || die "nginx: apt-get install curl failed"
}

nginx_version() { "$NGINX_BIN" -v 2>&1 | sed 's|.*nginx/||'; }

nginx_status() {
  if [[ -x $NGINX_BIN ]] && nginx_usable; then
    printf '%-8s installed         %-12s %s (a tool: each test runs its own)\n' nginx "$(nginx_version)" "$NGINX_BIN"
  else
    printf '%-8s not installed (infra/stack.sh install nginx)\n' nginx
  fi
}
