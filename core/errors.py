"""Kinds of failure that every edge (gRPC, CLI) maps to its own status, in one place.

Domains raise subclasses; the message is written for the caller and is shown as is.
"""


class DomainError(Exception):
    """A failure the caller can understand and act on; its message is safe to show."""

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else type(self).__name__


class InvalidInput(DomainError):
    """The request itself is malformed: a field is missing, out of range or badly formed."""


class NotFound(DomainError):
    """The request names something that does not exist."""


class RuleViolation(DomainError):
    """The request is well formed but the current state forbids it."""


class ConcurrencyError(DomainError):
    """The aggregate changed since it was read: its version is not the one expected."""


class Unavailable(DomainError):
    """A store or broker cannot be reached right now; the same request may succeed later."""


class DeadlineExceeded(DomainError):
    """The answer was not ready within the time the caller allowed."""


# The kinds a refusal is remembered as (see core.idempotency), most specific first.
_KINDS: dict[str, type[DomainError]] = {
    kind.__name__: kind
    for kind in (InvalidInput, NotFound, RuleViolation, ConcurrencyError, DomainError)
}


def kind_of(error: DomainError) -> str:
    """The name of the error's kind: the nearest of the core's own classes."""
    return next(k.__name__ for k in type(error).__mro__ if _KINDS.get(k.__name__) is k)


def error_of_kind(kind: str, message: str) -> DomainError:
    """An error of the named kind (a plain DomainError for a name it does not know)."""
    return _KINDS.get(kind, DomainError)(message)
