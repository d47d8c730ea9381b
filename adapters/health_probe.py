"""Asking a running server whether it serves: the standard gRPC health check, as a client."""

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc


def is_serving(
    address: str, timeout: float = 1.0, credentials: grpc.ChannelCredentials | None = None
) -> bool:
    """True when the health service at `address` answers SERVING within `timeout`
    (over TLS with `credentials`, in plaintext without)."""
    with open_channel(address, credentials) as channel:
        try:
            reply = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(), timeout=timeout
            )
        except grpc.RpcError:
            return False
    return bool(reply.status == health_pb2.HealthCheckResponse.SERVING)


def open_channel(address: str, credentials: grpc.ChannelCredentials | None) -> grpc.Channel:
    """A channel to `address`: over TLS with `credentials`, in plaintext without."""
    if credentials is None:
        return grpc.insecure_channel(address)
    return grpc.secure_channel(address, credentials)
