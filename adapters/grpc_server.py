"""Runs a grpc.aio server with health checks and reflection, and stops it gracefully."""

import logging
from collections.abc import Callable, Sequence

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from adapters.signals import stop_requested

log = logging.getLogger(__name__)

Registration = Callable[[grpc.aio.Server], None]
GRACE_SECONDS = 10.0
MAX_MESSAGE_BYTES = 4 * 1024 * 1024


async def serve(
    address: str,
    register: Registration,
    service_names: Sequence[str],
) -> None:
    """Serve until SIGTERM or SIGINT, then drain in-flight calls for up to GRACE_SECONDS."""
    server = grpc.aio.server(
        options=[
            ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
            ("grpc.so_reuseport", 0),
        ]
    )
    register(server)
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    health_name = health_pb2.DESCRIPTOR.services_by_name["Health"].full_name
    reflection.enable_server_reflection(
        [*service_names, health_name, reflection.SERVICE_NAME], server
    )
    server.add_insecure_port(address)  # raises RuntimeError when the port is taken
    await server.start()
    for name in ["", *service_names]:
        await health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
    log.info("serving %s on %s", ", ".join(service_names), address)
    await stop_requested().wait()
    log.info("stopping: draining in-flight calls for up to %.0f s", GRACE_SECONDS)
    await health_servicer.enter_graceful_shutdown()
    await server.stop(GRACE_SECONDS)
    log.info("stopped")
