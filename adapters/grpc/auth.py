"""Who is calling, and may they: mutual TLS or bearer tokens, and a scope per method.

A caller is known by the certificate its TLS connection presented (verified against
the client CA; its subject's common name names it) or by a bearer token in the
`authorization` metadata (a JWT whose signature, issuer, audience and expiry are
checked by PyJWT against configured public keys; its `sub` names it). A token wins
over a certificate when a call carries both. Scopes come from the token's `scope`
claim, or for a certificate from the configured table of names.

The interceptor admits a call when its caller holds the scope its method requires:
UNAUTHENTICATED without a valid identity, PERMISSION_DENIED without the scope, with
no more detail than that (the reason goes to the server's log, at most once a
minute per reason). Methods that need no scope (health, reflection) stay open.
The caller of the call being served is `current_caller()`.
"""

import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import grpc
import jwt
from google.protobuf.descriptor import ServiceDescriptor

from adapters.grpc import errors as grpc_errors
from adapters.grpc.errors import Context

log = logging.getLogger(__name__)

TOKEN_CACHE_SIZE = 4096
LOG_EVERY_SECONDS = 60.0


@dataclass(frozen=True)
class Caller:
    name: str
    scopes: frozenset[str]


ANONYMOUS = Caller("", frozenset())
_current: ContextVar[Caller] = ContextVar("caller", default=ANONYMOUS)


def every_method(service: ServiceDescriptor, scope: str) -> dict[str, str]:
    """Each of `service`'s methods, by full name, requiring `scope`."""
    return {f"/{service.full_name}/{method.name}": scope for method in service.methods}


def current_caller() -> Caller:
    """The caller of the call being served; ANONYMOUS where authentication is off."""
    return _current.get()


class Unauthenticated(Exception):
    """No valid identity; the message is for the server's log only."""


class TokenVerifier:
    """Verifies JWTs against public keys; remembers the last tokens it accepted."""

    def __init__(
        self, keys: Sequence[Any], issuer: str, audience: str, algorithms: Sequence[str]
    ) -> None:
        self._keys = list(keys)
        self._issuer, self._audience = issuer, audience
        self._algorithms = list(algorithms)
        self._accepted: OrderedDict[str, tuple[Caller, float]] = OrderedDict()

    def verify(self, token: str) -> Caller:
        known = self._accepted.get(token)
        if known is not None and known[1] > time.time():
            return known[0]
        claims = self._claims(token)
        caller = Caller(f"token:{claims['sub']}", _scopes_of(claims))
        self._remember(token, caller, float(claims["exp"]))
        return caller

    def _claims(self, token: str) -> dict[str, Any]:
        last_error: Exception = Unauthenticated("no key configured")
        for key in self._keys:
            try:
                claims: dict[str, Any] = jwt.decode(
                    token,
                    key,
                    algorithms=self._algorithms,
                    issuer=self._issuer,
                    audience=self._audience,
                    options={"require": ["exp", "iss", "aud", "sub"]},
                )
                return claims
            except jwt.InvalidSignatureError as error:
                last_error = error  # perhaps the next key signed it
            except jwt.PyJWTError as error:
                raise Unauthenticated(f"token refused: {error}") from None
        raise Unauthenticated(f"token refused: {last_error}")

    def _remember(self, token: str, caller: Caller, expires: float) -> None:
        self._accepted[token] = (caller, expires)
        if len(self._accepted) > TOKEN_CACHE_SIZE:
            self._accepted.popitem(last=False)


def _scopes_of(claims: Mapping[str, Any]) -> frozenset[str]:
    scope = claims.get("scope", "")
    if isinstance(scope, str):
        return frozenset(scope.split())
    return frozenset()


@dataclass(frozen=True)
class Authenticator:
    tokens: TokenVerifier | None
    certificate_scopes: Mapping[str, frozenset[str]]

    def authenticate(self, context: Context) -> Caller:
        token = _bearer_token(context)
        if token is not None:
            if self.tokens is None:
                raise Unauthenticated("a bearer token, but no token keys are configured")
            return self.tokens.verify(token)
        name = _certificate_name(context)
        if name is None:
            raise Unauthenticated("neither a client certificate nor a bearer token")
        return Caller(f"cert:{name}", self.certificate_scopes.get(name, frozenset()))


def _bearer_token(context: Context) -> str | None:
    for key, value in context.invocation_metadata() or ():
        if key == "authorization":
            scheme, _, token = str(value).partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise Unauthenticated("authorization metadata is not 'Bearer <token>'")
            return token.strip()
    return None


def _certificate_name(context: Context) -> str | None:
    names = list(context.auth_context().get("x509_common_name", ()))
    if not names:
        return None
    return bytes(names[0]).decode("utf-8", "replace")


class AuthInterceptor(grpc.aio.ServerInterceptor):
    """Admits each call whose caller holds its method's scope (see the module's doc)."""

    def __init__(self, authenticator: Authenticator, scopes: Mapping[str, str]) -> None:
        self._authenticator = authenticator
        self._scopes = dict(scopes)  # full method name ("/package.Service/Method") -> scope
        self._said: dict[str, float] = {}

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[Any]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> Any:
        handler = await continuation(handler_call_details)
        scope = self._scopes.get(handler_call_details.method)
        if handler is None or scope is None:
            return handler
        domain = _package_of(handler_call_details.method)
        return _guarded(handler, lambda context: self._admit(context, scope, domain))

    async def _admit(self, context: Context, scope: str, domain: str) -> None:
        try:
            caller = self._authenticator.authenticate(context)
        except Unauthenticated as refusal:
            self._log_rarely(str(refusal))
            await _refuse(context, grpc.StatusCode.UNAUTHENTICATED, domain)
        if scope not in caller.scopes:
            self._log_rarely(f"{caller.name} lacks scope {scope}")
            await _refuse(context, grpc.StatusCode.PERMISSION_DENIED, domain)
        _current.set(caller)

    def _log_rarely(self, reason: str) -> None:
        now = time.monotonic()
        if now - self._said.get(reason, -LOG_EVERY_SECONDS) >= LOG_EVERY_SECONDS:
            self._said[reason] = now
            if len(self._said) > TOKEN_CACHE_SIZE:
                self._said.clear()
            log.warning("call refused: %s", reason)


REFUSALS = {
    grpc.StatusCode.UNAUTHENTICATED: "authentication required",
    grpc.StatusCode.PERMISSION_DENIED: "permission denied",
}


async def _refuse(context: Context, code: grpc.StatusCode, domain: str) -> None:
    """No more than the code says: the reason is the code's own name."""
    await grpc_errors.abort(context, code, REFUSALS[code], code.name, domain=domain)


def _package_of(method: str) -> str:
    """ "/techbank.account.v1.AccountQueryService/FindAll" -> "techbank.account.v1"."""
    return method.strip("/").partition("/")[0].rpartition(".")[0]


def _guarded(handler: Any, admit: Callable[[Context], Awaitable[None]]) -> Any:
    """`handler` with `admit` awaited first, in the call's own context."""
    if handler.unary_unary is not None:
        behaviour = handler.unary_unary

        async def unary(request: Any, context: Context) -> Any:
            await admit(context)
            return await behaviour(request, context)

        return grpc.unary_unary_rpc_method_handler(
            unary, handler.request_deserializer, handler.response_serializer
        )
    if handler.unary_stream is not None:
        return grpc.unary_stream_rpc_method_handler(
            _guarded_stream(handler.unary_stream, admit),
            handler.request_deserializer,
            handler.response_serializer,
        )
    raise ValueError("only unary and server-streaming methods can be guarded")


def _guarded_stream(streaming: Any, admit: Callable[[Context], Awaitable[None]]) -> Any:
    """Streams registered by add_service are coroutines that write (gRPC's writer API)."""

    async def written(request: Any, context: Context) -> None:
        await admit(context)
        await streaming(request, context)

    return written
