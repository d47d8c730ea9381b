"""Errors as rich gRPC statuses (Google AIP-193), for programs as well as people.

Every error a servicer answers carries, besides its code and human message, a
`google.rpc.Status` in the `grpc-status-details-bin` trailer holding a
`google.rpc.ErrorInfo` (a stable `reason`, the `domain` of the service answering, and
`metadata`), and for invalid input a `google.rpc.BadRequest` naming every field
refused. Clients read them with their language's status helpers (Python:
`grpc_status.rpc_status.from_call`).

The domain is the protobuf package of the service being called: `add_service` says
which with `answering_for` around each call. `Context` is the one spelling of a servicer
method's context (its generic parameters add nothing here).
"""

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, NoReturn

import grpc
from google.rpc import error_details_pb2, status_pb2

from core.errors import FieldViolation

Context = grpc.aio.ServicerContext[Any, Any]


DETAILS_KEY = "grpc-status-details-bin"
_domain: ContextVar[str] = ContextVar("error_domain", default="")


@contextmanager
def answering_for(domain: str) -> Iterator[None]:
    token = _domain.set(domain)
    try:
        yield
    finally:
        _domain.reset(token)


def rich_status(
    code: grpc.StatusCode,
    message: str,
    reason: str,
    *,
    metadata: Mapping[str, str] | None = None,
    violations: Iterable[FieldViolation] = (),
    domain: str | None = None,
) -> tuple[tuple[str, bytes], ...]:
    """The trailer that carries the error's google.rpc.Status."""
    status = status_pb2.Status(code=code.value[0], message=message)
    info = error_details_pb2.ErrorInfo(
        reason=reason, domain=domain or _domain.get(), metadata=dict(metadata or {})
    )
    status.details.add().Pack(info)
    fields = [
        error_details_pb2.BadRequest.FieldViolation(field=v.field, description=v.description)
        for v in violations
    ]
    if fields:
        status.details.add().Pack(error_details_pb2.BadRequest(field_violations=fields))
    return ((DETAILS_KEY, status.SerializeToString()),)


async def abort(
    context: Context,
    code: grpc.StatusCode,
    message: str,
    reason: str,
    *,
    metadata: Mapping[str, str] | None = None,
    violations: Iterable[FieldViolation] = (),
    domain: str | None = None,
) -> NoReturn:
    """End the call with `code` and `message`, and the details above."""
    trailer = rich_status(
        code, message, reason, metadata=metadata, violations=violations, domain=domain
    )
    await context.abort(code, message, trailing_metadata=trailer)
    raise AssertionError("unreachable: abort raises")


def set_status(context: Context, code: grpc.StatusCode, message: str, reason: str) -> None:
    """Set the status a call will end with (for a call ended by cancelling its handler)."""
    context.set_code(code)
    context.set_details(message)
    context.set_trailing_metadata(rich_status(code, message, reason))
