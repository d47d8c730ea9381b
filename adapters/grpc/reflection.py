"""Server reflection, v1 and v1alpha, answered from a descriptor set with source info.

Tools that work from reflection alone (grpcurl, ghz) list, describe and
call every service, method and message, and show the protos' comments, with no
proto files at hand. gRPC Python's own reflection serves only v1alpha, cannot find a
method by its name ("Symbol not found") and drops comments: it rebuilds files from
the runtime pool. Both versions have the same messages on the wire, so one servicer
answers both, with v1alpha's generated message classes.
"""

from collections.abc import AsyncIterator, Iterable, Sequence
from typing import Any

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool
from grpc_reflection.v1alpha import reflection_pb2 as r

from adapters.grpc import errors as grpc_errors
from adapters.grpc.services import InvalidRequest, request_decoder

V1 = "grpc.reflection.v1.ServerReflection"
V1ALPHA = r.DESCRIPTOR.services_by_name["ServerReflection"].full_name
METHOD = r.DESCRIPTOR.services_by_name["ServerReflection"].methods_by_name["ServerReflectionInfo"]
FileProto = descriptor_pb2.FileDescriptorProto


class Descriptors:
    """Proto files by name, and which file declares each fully qualified symbol."""

    def __init__(self) -> None:
        self._files: dict[str, FileProto] = {}
        self._symbols: dict[str, str] = {}

    def add_set(self, serialized: bytes) -> None:
        """Every file of a FileDescriptorSet (protoc --descriptor_set_out)."""
        for file in descriptor_pb2.FileDescriptorSet.FromString(serialized).file:
            self.add_file(file)

    def add_from_pool(self, symbol: str) -> None:
        """The file declaring `symbol` in the runtime pool, and what it imports
        (for services whose protos come in a library: health, reflection)."""
        pending = [descriptor_pool.Default().FindFileContainingSymbol(symbol)]
        while pending:
            descriptor = pending.pop()
            if descriptor.name not in self._files:
                file = FileProto()
                descriptor.CopyToProto(file)
                self.add_file(file)
                pending.extend(descriptor.dependencies)

    def file(self, name: str) -> FileProto | None:
        return self._files.get(name)

    def file_declaring(self, symbol: str) -> FileProto | None:
        name = self._symbols.get(symbol.lstrip("."))
        return None if name is None else self._files[name]

    def with_imports(self, file: FileProto) -> list[bytes]:
        """`file` and every file it imports, transitively, serialized, `file` first."""
        found: dict[str, FileProto] = {}
        pending = [file]
        while pending:
            current = pending.pop()
            if current.name not in found:
                found[current.name] = current
                pending.extend(f for f in map(self.file, current.dependency) if f is not None)
        return [f.SerializeToString() for f in found.values()]

    def add_file(self, file: FileProto) -> None:
        """`file`, unless one of its name is already here."""
        if file.name in self._files:
            return
        self._files[file.name] = file
        for symbol in _symbols_of(file):
            self._symbols[symbol] = file.name


def _symbols_of(file: FileProto) -> Iterable[str]:
    prefix = f"{file.package}." if file.package else ""
    for service in file.service:
        yield prefix + service.name
        yield from (f"{prefix}{service.name}.{method.name}" for method in service.method)
    yield from (prefix + enum.name for enum in file.enum_type)
    for message in file.message_type:
        yield from _message_symbols(prefix + message.name, message)


def _message_symbols(name: str, message: descriptor_pb2.DescriptorProto) -> Iterable[str]:
    yield name
    yield from (f"{name}.{field.name}" for field in message.field)
    yield from (f"{name}.{enum.name}" for enum in message.enum_type)
    for nested in message.nested_type:
        yield from _message_symbols(f"{name}.{nested.name}", nested)


class ReflectionServicer:
    def __init__(self, descriptors: Descriptors, service_names: Sequence[str]) -> None:
        self._descriptors = descriptors
        self._services = sorted({*service_names, V1, V1ALPHA})
        self._decode = request_decoder(METHOD)

    async def ServerReflectionInfo(
        self, requests: AsyncIterator[bytes], context: Any
    ) -> AsyncIterator[r.ServerReflectionResponse]:
        """Requests are decoded here, so that bad bytes are bad input (as in add_service)."""
        async for raw in requests:
            try:
                request = self._decode(raw)
            except InvalidRequest as error:
                code = grpc.StatusCode.INVALID_ARGUMENT
                domain = METHOD.containing_service.file.package
                await grpc_errors.abort(
                    context, code, str(error), "MALFORMED_REQUEST", domain=domain
                )
            assert isinstance(request, r.ServerReflectionRequest)
            yield self.answer(request)

    def answer(self, request: r.ServerReflectionRequest) -> r.ServerReflectionResponse:
        asked = request.WhichOneof("message_request")
        if asked == "list_services":
            services = [r.ServiceResponse(name=name) for name in self._services]
            listed = r.ListServiceResponse(service=services)
            return r.ServerReflectionResponse(
                original_request=request, list_services_response=listed
            )
        if asked == "file_by_filename":
            return self._file(request, self._descriptors.file(request.file_by_filename))
        if asked == "file_containing_symbol":
            found = self._descriptors.file_declaring(request.file_containing_symbol)
            return self._file(request, found)
        if asked == "all_extension_numbers_of_type":  # none declared here
            numbers = r.ExtensionNumberResponse(
                base_type_name=request.all_extension_numbers_of_type
            )
            return r.ServerReflectionResponse(
                original_request=request, all_extension_numbers_response=numbers
            )
        return _error(request, grpc.StatusCode.NOT_FOUND, f"nothing known for {asked}")

    def _file(
        self, request: r.ServerReflectionRequest, file: FileProto | None
    ) -> r.ServerReflectionResponse:
        if file is None:
            return _error(request, grpc.StatusCode.NOT_FOUND, "symbol or file not found")
        files = r.FileDescriptorResponse(file_descriptor_proto=self._descriptors.with_imports(file))
        return r.ServerReflectionResponse(original_request=request, file_descriptor_response=files)


def _as_v1(alpha: FileProto) -> FileProto:
    """v1alpha's file as v1's: the same messages and service in package grpc.reflection.v1."""
    old, new = alpha.package, V1.rpartition(".")[0]
    v1 = FileProto()
    v1.CopyFrom(alpha)
    v1.name, v1.package = "grpc/reflection/v1/reflection.proto", new
    for message in v1.message_type:
        for field in message.field:
            field.type_name = field.type_name.replace(f".{old}.", f".{new}.")
    for method in v1.service[0].method:
        method.input_type = method.input_type.replace(f".{old}.", f".{new}.")
        method.output_type = method.output_type.replace(f".{old}.", f".{new}.")
    return v1


def _error(
    request: r.ServerReflectionRequest, code: grpc.StatusCode, message: str
) -> r.ServerReflectionResponse:
    error = r.ErrorResponse(error_code=code.value[0], error_message=message)
    return r.ServerReflectionResponse(original_request=request, error_response=error)


def add_reflection(
    server: grpc.aio.Server, descriptors: Descriptors, service_names: Sequence[str]
) -> None:
    """Serve reflection, v1 and v1alpha, of `service_names` (and of itself)."""
    descriptors.add_from_pool(V1ALPHA)
    alpha = descriptors.file_declaring(V1ALPHA)
    assert alpha is not None
    descriptors.add_file(_as_v1(alpha))
    servicer = ReflectionServicer(descriptors, service_names)
    handler: grpc.RpcMethodHandler[Any, Any] = grpc.stream_stream_rpc_method_handler(
        servicer.ServerReflectionInfo,
        response_serializer=r.ServerReflectionResponse.SerializeToString,
    )
    for name in (V1, V1ALPHA):
        generic = grpc.method_handlers_generic_handler(name, {"ServerReflectionInfo": handler})
        server.add_generic_rpc_handlers((generic,))
