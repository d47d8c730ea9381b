"""Starting and stopping the project's server processes for end-to-end tests."""

import os
import random
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import grpc

from adapters.grpc.health import is_serving

REPO = Path(__file__).resolve().parents[1]


# On Kafka each process is given only the stores it uses (least privilege): the command
# server no read database, the projector the writer's URL of it, the query server the
# reader's. (On the in-process bus the command server holds the projector.)
WITHHELD_ON_KAFKA = {
    "command_server": ("TECHBANK_READ_DB_URL", "TECHBANK_QUERY_DB_URL"),
    "projector": ("TECHBANK_QUERY_DB_URL",),
    "query_server": ("TECHBANK_READ_DB_URL", "TECHBANK_EVENT_STORE_URL", "TECHBANK_EVENT_BUS_URL"),
}


def process_env(module: str, env: dict[str, str]) -> dict[str, str]:
    """What of `env` the process running `module` is given."""
    if not env.get("TECHBANK_EVENT_BUS_URL", "").startswith("kafka://"):
        return env
    withheld = WITHHELD_ON_KAFKA.get(module, ())
    return {
        name: value
        for name, value in env.items()
        if name not in withheld and name.removesuffix("_FILE") not in withheld
    }


# Ports for the servers tests start: each pytest-xdist worker draws from a range of its
# own, below Linux's ephemeral ports (32768 on). Asking the OS for any free port let two
# workers be handed the same one, and a test then called the other worker's server
# (UNIMPLEMENTED: a query server at a command server's address).
PORTS_PER_WORKER = 4000
_handed: set[int] = set()


def free_port() -> int:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    low = 20000 + PORTS_PER_WORKER * (int(worker) % 3 if worker.isdigit() else 0)
    for _ in range(1000):
        port = random.randrange(low, low + PORTS_PER_WORKER)
        if port in _handed:
            continue
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue  # in use
        _handed.add(port)
        return port
    raise RuntimeError(f"no free port from {low}")


def wait_until_serving(
    address: str,
    timeout: float = 30.0,
    process: subprocess.Popen[bytes] | None = None,
    credentials: grpc.ChannelCredentials | None = None,
) -> None:
    """Block until the gRPC health service at `address` answers SERVING (or `process` exits)."""
    deadline = time.monotonic() + timeout
    while not is_serving(address, credentials=credentials):
        if process is not None and process.poll() is not None:
            raise TimeoutError(f"the process serving {address} exited ({process.returncode})")
        if time.monotonic() > deadline:
            raise TimeoutError(f"nothing serving on {address} after {timeout:.0f} s")
        time.sleep(0.1)


@dataclass
class ServerProcess:
    """One `python -m <module>` process, its log kept in a file for failed tests to show."""

    module: str
    env: dict[str, str]
    log_path: Path
    address: str | None = None
    credentials: grpc.ChannelCredentials | None = None  # TLS to reach `address`
    role: str = ""  # what the system calls it: its module unless said ("command_server")
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.role = self.role or self.module

    def start(self) -> "ServerProcess":
        return self.launch().until_serving()

    def launch(self) -> "ServerProcess":
        """Start the process; do not wait for it to serve (see until_serving)."""
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", self.module],
            cwd=REPO,
            env=process_env(self.module, {**os.environ, **self.env}),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        return self

    def until_serving(self) -> "ServerProcess":
        if self.address is not None:
            try:
                wait_until_serving(self.address, process=self.process, credentials=self.credentials)
            except TimeoutError as error:
                self.kill()
                raise TimeoutError(f"{error}; log: {self.log_path}\n{self.log_tail()}") from None
        return self

    def stop(self, timeout: float = 15.0) -> int:
        """SIGTERM, then wait; return the exit code (SIGKILL if it will not stop)."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


def start_all(processes: "list[ServerProcess]") -> None:
    """Start every process at once (each waits for the stores it needs), then wait until
    each serves: starting them one by one would add up their start-up times."""
    for process in processes:
        process.launch()
    for process in processes:
        process.until_serving()
