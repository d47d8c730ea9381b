"""docker-compose.yml's gRPC proxy, run for real beside test servers: a real nginx with
the very template the compose file gives the nginx image
(docker/nginx/grpc-proxy.conf.template), rendered as the image renders it.

nginx is Debian's, unpacked by `infra/stack.sh install nginx` (which `make test` runs):
a missing nginx is an error to fix, not a reason to skip.
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from harness.compose import TEMPLATE, render, upstream_servers
from harness.processes import free_port


class NginxMissing(Exception):
    """No nginx to run: the tests of the proxy cannot run, and must not pass."""


def nginx_binary() -> Path:
    """TECHBANK_NGINX, else where `infra/stack.sh install nginx` unpacks it, else PATH's."""
    cache = Path(os.environ.get("TECHBANK_CACHE", Path.home() / ".cache" / "techbank"))
    unpacked = cache / "nginx" / "root" / "usr" / "sbin" / "nginx"
    candidates = [os.environ.get("TECHBANK_NGINX", ""), str(unpacked), shutil.which("nginx")]
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            return Path(candidate)
    raise NginxMissing(
        f"no nginx at $TECHBANK_NGINX, {unpacked} or on PATH: run `infra/stack.sh install "
        "nginx` (`make servers` and `make test` do)"
    )


# The image's nginx.conf around the rendered template, with every path a scratch one:
# the unpacked nginx's compiled-in paths (/var/lib/nginx, /run) are not ours.
MAIN_CONFIG = """\
daemon off;
worker_processes 2;
pid {directory}/nginx.pid;
error_log {directory}/error.log warn;
events {{
    worker_connections 1024;
}}
http {{
    access_log {directory}/access.log;
    client_body_temp_path {directory}/client_body;
    proxy_temp_path {directory}/proxy;
    fastcgi_temp_path {directory}/fastcgi;
    uwsgi_temp_path {directory}/uwsgi;
    scgi_temp_path {directory}/scgi;
    include {directory}/conf.d/*.conf;
}}
"""


@dataclass
class GrpcProxy:
    command_address: str
    query_address: str
    directory: Path
    process: subprocess.Popen[bytes]

    def error_log(self) -> str:
        return (self.directory / "error.log").read_text(errors="replace")

    def statuses(self) -> list[int]:
        """The HTTP status nginx answered each call with, from its access log: 200 for
        every gRPC answer, OK or not; 502 for a call it could not get answered."""
        log = (self.directory / "access.log").read_text(errors="replace")
        return [int(status) for status in re.findall(r'" (\d{3}) ', log)]


def proxy_environment(
    command_servers: Sequence[str], query_servers: Sequence[str]
) -> dict[str, str]:
    """The template's values for these replicas, each side listening on a free port of
    127.0.0.1. The resolver is never asked: these upstreams are addresses."""
    return {
        "TECHBANK_PROXY_RESOLVER": "127.0.0.1",
        "TECHBANK_PROXY_COMMAND_LISTEN": f"127.0.0.1:{free_port()}",
        "TECHBANK_PROXY_QUERY_LISTEN": f"127.0.0.1:{free_port()}",
        "TECHBANK_PROXY_COMMAND_SERVERS": upstream_servers(command_servers),
        "TECHBANK_PROXY_QUERY_SERVERS": upstream_servers(query_servers),
    }


@contextmanager
def grpc_proxy(
    command_servers: Sequence[str], query_servers: Sequence[str], directory: Path
) -> Iterator[GrpcProxy]:
    """nginx with the compose file's template in front of these replicas (host:port
    each), until the block ends."""
    environment = proxy_environment(command_servers, query_servers)
    (directory / "conf.d").mkdir(parents=True)
    rendered = render(TEMPLATE.read_text(), environment)
    (directory / "conf.d" / "grpc-proxy.conf").write_text(rendered)
    (directory / "nginx.conf").write_text(MAIN_CONFIG.format(directory=directory))
    command = [str(nginx_binary()), "-p", str(directory), "-c", str(directory / "nginx.conf")]
    # -e: the error log before the configuration is read (else its compiled-in path).
    # A session of its own: nginx's workers outlive a SIGKILLed master, not its group.
    process = subprocess.Popen(
        [*command, "-e", str(directory / "error.log")], start_new_session=True
    )
    proxy = GrpcProxy(
        environment["TECHBANK_PROXY_COMMAND_LISTEN"],
        environment["TECHBANK_PROXY_QUERY_LISTEN"],
        directory,
        process,
    )
    try:
        _until_listening(proxy)
        yield proxy
    finally:
        _stop(process)


def _until_listening(proxy: GrpcProxy, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not all(_accepts(a) for a in (proxy.command_address, proxy.query_address)):
        if proxy.process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"nginx did not start; its error log:\n{proxy.error_log()}")
        time.sleep(0.05)


def _accepts(address: str) -> bool:
    host, _, port = address.rpartition(":")
    try:
        socket.create_connection((host, int(port)), timeout=1).close()
    except OSError:
        return False
    return True


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM (nginx's fast shutdown); if it will not go, SIGKILL to its workers too."""
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
