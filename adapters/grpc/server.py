"""Runs a grpc.aio server with health checks and reflection, and stops it gracefully.

How it faces clients (TLS, who may call, limits) comes from adapters.grpc.config.
"""

import asyncio
import logging
import os
import socket
from collections.abc import Awaitable, Callable, Mapping, Sequence

import grpc
from google.rpc import error_details_pb2
from grpc_health.v1 import health, health_pb2

from adapters.command_line import stop_requested, unless_stopped
from adapters.grpc.auth import Authenticator, AuthInterceptor
from adapters.grpc.config import ServerConfig, authenticator, check_exposure, server_credentials
from adapters.grpc.health import NOT_SERVING, SERVING, HealthWatch, Probe
from adapters.grpc.limits import StreamGate
from adapters.grpc.reflection import Descriptors, add_reflection
from adapters.grpc.services import add_library_service
from adapters.settings import ConfigurationError

log = logging.getLogger(__name__)

# Adds the services to the server; their streams go through the server's StreamGate.
Registration = Callable[[grpc.aio.Server, StreamGate], None]
Ready = Callable[[], Awaitable[None]]  # returns once the services can answer
ServingStatus = int  # a HealthCheckResponse.ServingStatus
HEALTH = health_pb2.DESCRIPTOR.services_by_name["Health"]
GRACE_SECONDS = 10.0
# Clients may ping every 5 s and between calls (gRPC's defaults answer pings more
# often than every 5 minutes with GOAWAY too_many_pings); the server pings an idle
# connection every minute and drops it when no answer comes in 20 s.
KEEPALIVE_OPTIONS = [
    ("grpc.keepalive_permit_without_calls", 1),
    ("grpc.http2.min_ping_interval_without_data_ms", 5_000),
    ("grpc.keepalive_time_ms", 60_000),
    ("grpc.keepalive_timeout_ms", 20_000),
]


async def serve(
    address: str,
    register: Registration,
    service_names: Sequence[str],
    scopes: Mapping[str, str] | None = None,
    config: ServerConfig | None = None,
    *,
    address_setting: str = "the address",
    probes: Mapping[str, Probe] | None = None,
    ready: Ready | None = None,
    descriptor_set: bytes = b"",
) -> None:
    """Serve until SIGTERM or SIGINT, then drain in-flight calls for up to GRACE_SECONDS.

    `scopes` maps full method names to the scope a caller needs, where authentication
    is configured; methods it does not name (health, reflection) are open. `probes`
    maps a service name to the probe of the store it needs (see HealthWatch).
    `descriptor_set` (protoc's, with source info) is what reflection describes.
    With `ready`, health says NOT_SERVING until it returns; what it raises stops the
    server. What cannot work as configured (TLS files, exposure, `address`, the value of
    `address_setting`) raises ConfigurationError before anything is served.
    """
    config = config or ServerConfig()
    credentials = server_credentials(config)
    who = authenticator(config)
    check_exposure(address, credentials is not None, who is not None, config)
    server = _server(config, who, scopes or {})
    register(server, StreamGate(config.stream_limits))
    health_servicer = health.aio.HealthServicer()
    add_library_service(server, health_servicer, HEALTH)
    if config.reflection:
        descriptors = Descriptors()
        descriptors.add_set(descriptor_set)
        descriptors.add_from_pool(HEALTH.full_name)
        # The error details every refusal carries, so that tools decode them too.
        descriptors.add_from_pool(error_details_pb2.ErrorInfo.DESCRIPTOR.full_name)
        add_reflection(server, descriptors, [*service_names, HEALTH.full_name])
    _bind(server, address, credentials, address_setting)
    names = ["", *service_names]
    await _set_all(health_servicer, names, NOT_SERVING)  # until ready
    stop = stop_requested()
    await server.start()
    try:
        if ready is None or await unless_stopped(stop, ready):
            await _set_all(health_servicer, names, SERVING)
            log.info("serving %s on %s", ", ".join(service_names), address)
            await _watched_until(stop, HealthWatch(health_servicer, probes or {}))
    finally:
        log.info("stopping: draining in-flight calls for up to %.0f s", GRACE_SECONDS)
        await health_servicer.enter_graceful_shutdown()
        await server.stop(GRACE_SECONDS)
        log.info("stopped")


async def _watched_until(stop: asyncio.Event, watch: HealthWatch) -> None:
    watch.start()
    await stop.wait()
    await watch.stop()


async def _set_all(
    servicer: health.aio.HealthServicer, names: Sequence[str], status: ServingStatus
) -> None:
    for name in names:
        await servicer.set(name, status)


def _server(
    config: ServerConfig, who: Authenticator | None, scopes: Mapping[str, str]
) -> grpc.aio.Server:
    # No interceptor where nobody is authenticated: each one costs every call.
    interceptors = [] if who is None else [AuthInterceptor(who, scopes)]
    return grpc.aio.server(
        interceptors=interceptors,
        options=[
            ("grpc.max_receive_message_length", config.max_request_bytes),
            ("grpc.so_reuseport", 0),
            *KEEPALIVE_OPTIONS,
        ],
        maximum_concurrent_rpcs=config.max_concurrent_calls,
    )


def _bind(
    server: grpc.aio.Server,
    address: str,
    credentials: grpc.ServerCredentials | None,
    setting: str,
) -> None:
    try:
        if credentials is None:
            server.add_insecure_port(address)
        else:
            server.add_secure_port(address, credentials)
    except RuntimeError:  # gRPC says only that it failed: a socket of our own says why
        raise ConfigurationError(
            f"{setting}={address}: cannot listen there: {_why_not_bound(address)}"
        ) from None
    log.info("%s on %s", "plaintext" if credentials is None else "TLS", address)


def _why_not_bound(address: str) -> str:
    host, _, port = address.rpartition(":")
    try:
        with socket.create_server((host.strip("[]") or "0.0.0.0", int(port))):
            return "gRPC could not bind it"
    except ValueError:
        return "not host:port"
    except OSError as error:  # its strerror names the address again: the errno's alone
        return os.strerror(error.errno) if error.errno else str(error)
