"""The edge of every servicer method: the call's deadline, and errors as statuses.

The client's deadline becomes the request deadline that code far from gRPC (the
conflict retry) respects. The core's error kinds map to gRPC status codes here, in
one place, each with its reason, metadata and field violations as rich details
(adapters.grpc.errors); anything else becomes INTERNAL with a fixed message: no stack
trace or class name reaches a client, the details go to the server's log.
"""

import functools
import inspect
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

import grpc

from adapters.grpc import errors as grpc_errors
from adapters.telemetry.metrics import STORE_ERRORS
from core.deadline import request_deadline
from core.errors import (
    ConcurrencyError,
    DeadlineExceeded,
    DomainError,
    InvalidInput,
    NotFound,
    RuleViolation,
    Unavailable,
)

log = logging.getLogger(__name__)

STATUS_BY_ERROR: dict[type[DomainError], grpc.StatusCode] = {
    InvalidInput: grpc.StatusCode.INVALID_ARGUMENT,
    NotFound: grpc.StatusCode.NOT_FOUND,
    RuleViolation: grpc.StatusCode.FAILED_PRECONDITION,
    ConcurrencyError: grpc.StatusCode.ABORTED,
    Unavailable: grpc.StatusCode.UNAVAILABLE,
    DeadlineExceeded: grpc.StatusCode.DEADLINE_EXCEEDED,
}

F = TypeVar("F", bound=Callable[..., Any])
_END = object()  # what anext() answers at the end of a stream


def status_of(error: DomainError) -> grpc.StatusCode:
    for kind in type(error).__mro__:
        if kind in STATUS_BY_ERROR:
            return STATUS_BY_ERROR[kind]
    return grpc.StatusCode.FAILED_PRECONDITION


async def _abort(
    context: grpc.aio.ServicerContext[Any, Any], error: Exception, method: str
) -> None:
    if isinstance(error, Unavailable):
        STORE_ERRORS.labels("rpc").inc()
    if isinstance(error, DomainError):
        violations = error.violations if isinstance(error, InvalidInput) else ()
        await grpc_errors.abort(
            context,
            status_of(error),
            error.message,
            error.reason,
            metadata=error.metadata,
            violations=violations,
        )
    log.error("unexpected error in %s", method, exc_info=error)
    await grpc_errors.abort(
        context, grpc.StatusCode.INTERNAL, "internal error; see the server log", "INTERNAL"
    )


def rpc_method(method: F) -> F:
    """Decorate a servicer method (unary or server-streaming) as described above."""
    if inspect.isasyncgenfunction(method):

        @functools.wraps(method)
        async def stream(self: object, request: object, context: Any) -> AsyncIterator[object]:
            items = method(self, request, context)
            try:
                while True:
                    # The deadline is set around each step, never across a `yield`: a client
                    # that cancels closes this generator from another context.
                    with request_deadline(context.time_remaining()):
                        item = await anext(items, _END)
                    if item is _END:
                        return
                    yield item
            except grpc.aio.AbortError:
                raise
            except Exception as error:
                await _abort(context, error, method.__qualname__)
            finally:
                await items.aclose()

        return stream  # type: ignore[return-value]

    @functools.wraps(method)
    async def unary(self: object, request: object, context: Any) -> object:
        try:
            with request_deadline(context.time_remaining()):
                return await method(self, request, context)
        except grpc.aio.AbortError:
            raise
        except Exception as error:
            await _abort(context, error, method.__qualname__)
            raise AssertionError("unreachable: abort raises") from error

    return unary  # type: ignore[return-value]
