"""Failures as a program reads them: the gRPC code, and the google.rpc.Status details
the servers put in the `grpc-status-details-bin` trailer (README, Errors)."""

from collections.abc import Mapping
from dataclasses import dataclass

import grpc
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status


@dataclass(frozen=True)
class FieldViolation:
    field: str
    description: str


class TechbankError(Exception):
    """A call that failed. Branch on `code` and `reason`, never on `message`.

    `reason`, `domain` and `metadata` come from the error's google.rpc.ErrorInfo (empty
    when there was none, e.g. when no server answered); `field_violations` from its
    google.rpc.BadRequest, one per invalid field.
    """

    def __init__(
        self,
        code: grpc.StatusCode,
        message: str,
        *,
        reason: str = "",
        domain: str = "",
        metadata: Mapping[str, str] | None = None,
        field_violations: tuple[FieldViolation, ...] = (),
    ) -> None:
        super().__init__(
            f"{code.name} {reason}: {message}" if reason else f"{code.name}: {message}"
        )
        self.code = code
        self.message = message
        self.reason = reason
        self.domain = domain
        self.metadata = dict(metadata or {})
        self.field_violations = field_violations

    @classmethod
    def from_rpc_error(cls, error: grpc.aio.AioRpcError) -> "TechbankError":
        status = _rich_status(error)
        info, bad_request = error_details_pb2.ErrorInfo(), error_details_pb2.BadRequest()
        for detail in status.details if status else ():
            if not detail.Unpack(info):  # Unpack is False for a detail of another type
                detail.Unpack(bad_request)
        return cls(
            error.code(),
            error.details() or "",
            reason=info.reason,
            domain=info.domain,
            metadata=info.metadata,
            field_violations=tuple(
                FieldViolation(v.field, v.description) for v in bad_request.field_violations
            ),
        )


def _rich_status(error: grpc.aio.AioRpcError) -> status_pb2.Status | None:
    try:
        status: status_pb2.Status | None = rpc_status.from_call(error)
    except ValueError:  # a trailer that disagrees with the call's own status: ignore it
        return None
    return status
