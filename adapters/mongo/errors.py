"""Which MongoDB failures mean "unavailable, try again later".

A server that is down, restarting, electing, overloaded, or (FerretDB) whose own
backend is unreachable answers with many error classes and codes; all of them are
outages to the caller. What remains a bug of ours (a malformed query or document)
is left to surface as one.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from bson.errors import InvalidDocument
from pymongo.errors import (
    BulkWriteError,
    ConfigurationError,
    InvalidName,
    InvalidOperation,
    OperationFailure,
    PyMongoError,
)

from core.errors import Unavailable

UNAVAILABLE = "the event store is unavailable"
# Server codes that say the request is wrong, not that the server cannot serve it now:
# BadValue, FailedToParse, TypeMismatch, InvalidLength, InvalidOptions, CommandNotFound,
# InvalidNamespace, IndexOptionsConflict, IndexKeySpecsConflict, DuplicateKey.
_REQUEST_ERRORS = {2, 9, 14, 16, 72, 59, 73, 85, 86, 11000}
_OUR_FAULT = (InvalidDocument, InvalidName, InvalidOperation, ConfigurationError)


def is_unavailable(error: PyMongoError) -> bool:
    if isinstance(error, _OUR_FAULT):
        return False
    if isinstance(error, BulkWriteError):
        codes = {e.get("code") for e in error.details.get("writeErrors", [])}
        return bool(error.details.get("writeConcernErrors")) or not codes <= _REQUEST_ERRORS
    if isinstance(error, OperationFailure):
        return error.code not in _REQUEST_ERRORS
    return True


@contextmanager
def outages_unavailable(message: str = UNAVAILABLE) -> Iterator[None]:
    """Raise Unavailable(message) for an outage inside the block; let other errors through."""
    try:
        yield
    except PyMongoError as exc:
        if is_unavailable(exc):
            raise Unavailable(message) from exc
        raise
