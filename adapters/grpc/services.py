"""Registers a servicer for a service described by its protobuf descriptor.

Like the generated `add_..._to_server`, with two differences:
- requests are decoded here, not by gRPC: bytes that are not a valid request (truncated,
  corrupt, a string field that is not UTF-8) answer INVALID_ARGUMENT with a plain
  message and log nothing, where gRPC's own decoding answers UNKNOWN with the
  exception's class and logs a traceback per request;
- a method may answer with a message or with the bytes of one already serialized,
  which a read model that keeps its answers serialized hands over without building a
  message at all.

Every call is measured (adapters.telemetry.metrics) and traced (adapters.telemetry.tracing)
here, once.
"""

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import grpc
from google.protobuf import message_factory
from google.protobuf.descriptor import MethodDescriptor, ServiceDescriptor
from google.protobuf.message import DecodeError, Message

from adapters.grpc import errors as grpc_errors
from adapters.grpc.errors import Context
from adapters.grpc.limits import StreamGate
from adapters.telemetry.metrics import RPC_SECONDS, RPCS
from adapters.telemetry.tracing import rpc_span

Unary = Callable[[Any, Context], Awaitable[Any]]
Streaming = Callable[[Any, Context], AsyncIterator[Any]]


def add_service(
    server: grpc.aio.Server, servicer: object, service: ServiceDescriptor, streams: StreamGate
) -> None:
    """Register `servicer`'s method of each unary or server-streaming RPC of `service`;
    its streams pass through `streams`, the server's limits on them."""
    handlers = {method.name: _handler(servicer, method, streams) for method in service.methods}
    generic = grpc.method_handlers_generic_handler(service.full_name, handlers)
    server.add_generic_rpc_handlers((generic,))
    server.add_registered_method_handlers(service.full_name, handlers)


def add_library_service(
    server: grpc.aio.Server, servicer: object, service: ServiceDescriptor
) -> None:
    """Register a library's servicer (health) with its requests decoded here too, so that
    bad bytes are INVALID_ARGUMENT and log nothing; without Techbank's stream limits and
    telemetry. Its methods are coroutines: a server-streaming one writes to its context."""
    handlers: dict[str, grpc.RpcMethodHandler[Any, Any]] = {}
    for method in service.methods:
        implemented = _unimplemented_refused(getattr(servicer, method.name), method)
        behaviour = _decoding_unary(implemented, request_decoder(method))
        register = (
            grpc.unary_stream_rpc_method_handler
            if method.server_streaming
            else grpc.unary_unary_rpc_method_handler
        )
        handlers[method.name] = register(behaviour, response_serializer=serialized)
    generic = grpc.method_handlers_generic_handler(service.full_name, handlers)
    server.add_generic_rpc_handlers((generic,))
    server.add_registered_method_handlers(service.full_name, handlers)


def _unimplemented_refused(behaviour: Unary, method: MethodDescriptor) -> Unary:
    """`behaviour`, answering UNIMPLEMENTED plainly where the library left the method out
    (its base class raises NotImplementedError, which gRPC would answer with the class)."""

    async def call(request: Any, context: Context) -> Any:
        try:
            return await behaviour(request, context)
        except NotImplementedError:
            message = f"{method.full_name} is not implemented by this server"
            await grpc_errors.abort(
                context, grpc.StatusCode.UNIMPLEMENTED, message, "UNIMPLEMENTED"
            )

    return call


def _handler(
    servicer: object, method: MethodDescriptor, streams: StreamGate
) -> "grpc.RpcMethodHandler[Any, Any]":
    if method.client_streaming:
        raise ValueError(f"{method.full_name}: client streaming is not supported here")
    behaviour = getattr(servicer, method.name)
    decode = request_decoder(method)
    domain = method.containing_service.file.package  # of its errors' reasons
    if method.server_streaming:
        written = streams.limited(_decoding_stream(behaviour, decode))
        return grpc.unary_stream_rpc_method_handler(
            _answering_for(domain, method, written), response_serializer=serialized
        )
    return grpc.unary_unary_rpc_method_handler(
        _answering_for(domain, method, _decoding_unary(behaviour, decode)),
        response_serializer=serialized,
    )


def _answering_for(domain: str, method: MethodDescriptor, handler: Unary) -> Unary:
    """`handler`, answering errors for `domain`, measured and traced as `method`."""
    name = f"{method.containing_service.full_name}/{method.name}"
    seconds = RPC_SECONDS.labels(name)
    answered = {code: RPCS.labels(name, code.name) for code in grpc.StatusCode}

    async def call(request: Any, context: Context) -> Any:
        started, code = time.perf_counter(), grpc.StatusCode.OK
        with rpc_span(name, context) as span:
            try:
                with grpc_errors.answering_for(domain):
                    return await handler(request, context)
            except grpc.aio.AbortError:
                code = context.code() or grpc.StatusCode.UNKNOWN
                raise
            except asyncio.CancelledError:
                code = grpc.StatusCode.CANCELLED
                raise
            finally:
                span.set_attribute("rpc.grpc.status_code", code.value[0])
                answered[code].inc()
                seconds.observe(time.perf_counter() - started)

    return call


def request_decoder(method: MethodDescriptor) -> Callable[[bytes], Message]:
    """Bytes to `method`'s request message; InvalidRequest when they are not one."""
    request_type = message_factory.GetMessageClass(method.input_type)
    problem = f"the request is not a valid {method.input_type.full_name} message"

    def decode(raw: bytes) -> Message:
        try:
            return request_type.FromString(raw)
        except DecodeError:
            raise InvalidRequest(problem) from None

    return decode


class InvalidRequest(Exception):
    """The bytes of a request do not decode to the method's request message."""


def _decoding_unary(behaviour: Unary, decode: Callable[[bytes], Message]) -> Unary:
    async def unary(raw: bytes, context: Context) -> Any:
        try:
            request = decode(raw)
        except InvalidRequest as error:
            await _refuse(context, error)
        return await behaviour(request, context)

    return unary


def _decoding_stream(behaviour: Streaming, decode: Callable[[bytes], Message]) -> Streaming:
    async def stream(raw: bytes, context: Context) -> AsyncIterator[Any]:
        try:
            request = decode(raw)
        except InvalidRequest as error:
            await _refuse(context, error)
        async for response in behaviour(request, context):
            yield response

    return stream


async def _refuse(context: Context, error: InvalidRequest) -> None:
    code = grpc.StatusCode.INVALID_ARGUMENT
    await grpc_errors.abort(context, code, str(error), "MALFORMED_REQUEST")


def serialized(response: Message | bytes) -> bytes:
    if isinstance(response, bytes):
        return response
    return response.SerializeToString()
