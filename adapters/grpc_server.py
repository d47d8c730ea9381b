"""Runs a grpc.aio server with health checks and reflection, and stops it gracefully.

How it faces clients (TLS, who may call, limits) comes from adapters.grpc_config.
"""

import logging
from collections.abc import Callable, Mapping, Sequence

import grpc
from google.rpc import error_details_pb2
from grpc_health.v1 import health, health_pb2

from adapters.grpc_auth import Authenticator, AuthInterceptor
from adapters.grpc_config import (
    ServerConfig,
    UnsafeExposure,
    authenticator,
    check_exposure,
    server_credentials,
)
from adapters.grpc_limits import StreamGate
from adapters.grpc_reflection import Descriptors, add_reflection
from adapters.grpc_services import add_library_service
from adapters.health_watch import HealthWatch, Probe
from adapters.signals import stop_requested

log = logging.getLogger(__name__)

# Adds the services to the server; their streams go through the server's StreamGate.
Registration = Callable[[grpc.aio.Server, StreamGate], None]
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
    probes: Mapping[str, Probe] | None = None,
    descriptor_set: bytes = b"",
) -> None:
    """Serve until SIGTERM or SIGINT, then drain in-flight calls for up to GRACE_SECONDS.

    `scopes` maps full method names to the scope a caller needs, where authentication
    is configured; methods it does not name (health, reflection) are open. `probes`
    maps a service name to the probe of the store it needs (see HealthWatch).
    `descriptor_set` (protoc's, with source info) is what reflection describes.
    """
    config = config or ServerConfig()
    try:
        credentials = server_credentials(config)
        who = authenticator(config)
        check_exposure(address, credentials is not None, who is not None, config)
    except (UnsafeExposure, OSError) as refusal:
        log.critical("refusing to start: %s", refusal)
        raise SystemExit(2) from None
    server = _server(config, who, scopes or {})
    register(server, StreamGate(config.stream_limits))
    health_servicer = health.aio.HealthServicer()
    health_service = health_pb2.DESCRIPTOR.services_by_name["Health"]
    add_library_service(server, health_servicer, health_service)
    health_name = health_service.full_name
    if config.reflection:
        descriptors = Descriptors()
        descriptors.add_set(descriptor_set)
        descriptors.add_from_pool(health_name)
        # The error details every refusal carries, so that tools decode them too.
        descriptors.add_from_pool(error_details_pb2.ErrorInfo.DESCRIPTOR.full_name)
        add_reflection(server, descriptors, [*service_names, health_name])
    _bind(server, address, credentials)
    await server.start()
    for name in ["", *service_names]:
        await health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
    watch = HealthWatch(health_servicer, probes or {})
    watch.start()
    log.info("serving %s on %s", ", ".join(service_names), address)
    await stop_requested().wait()
    await watch.stop()
    log.info("stopping: draining in-flight calls for up to %.0f s", GRACE_SECONDS)
    await health_servicer.enter_graceful_shutdown()
    await server.stop(GRACE_SECONDS)
    log.info("stopped")


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
    server: grpc.aio.Server, address: str, credentials: grpc.ServerCredentials | None
) -> None:
    """Raises RuntimeError when the port is taken."""
    if credentials is None:
        server.add_insecure_port(address)
        log.info("plaintext on %s", address)
    else:
        server.add_secure_port(address, credentials)
        log.info("TLS on %s", address)
