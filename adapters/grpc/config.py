"""How a gRPC server faces its clients, from the environment: TLS, who may call, limits.

The embedded default serves plaintext without authentication on loopback, so that
`make run` and `grpcurl -plaintext` work in seconds. A server bound to any other
address refuses to start without TLS and authentication, unless
TECHBANK_ALLOW_INSECURE=1 says it is meant (and it logs a warning saying so).
"""

import ipaddress
import logging
import re
from dataclasses import dataclass, field

import grpc
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from adapters.grpc.auth import Authenticator, TokenVerifier
from adapters.grpc.limits import StreamLimits
from adapters.settings import ConfigurationError, count, env_value, read_setting_file, seconds

log = logging.getLogger(__name__)
PEM_BLOCK = re.compile(rb"-----BEGIN PUBLIC KEY-----.+?-----END PUBLIC KEY-----", re.DOTALL)


def _text(name: str, default: str = "") -> str:
    return env_value(name, default)


@dataclass(frozen=True)
class ServerConfig:
    tls_cert_file: str = field(default_factory=lambda: _text("TECHBANK_TLS_CERT_FILE"))
    tls_key_file: str = field(default_factory=lambda: _text("TECHBANK_TLS_KEY_FILE"))
    client_ca_file: str = field(default_factory=lambda: _text("TECHBANK_TLS_CLIENT_CA_FILE"))
    certificate_scopes: str = field(default_factory=lambda: _text("TECHBANK_CERTIFICATE_SCOPES"))
    jwt_keys_file: str = field(default_factory=lambda: _text("TECHBANK_JWT_KEYS_FILE"))
    jwt_issuer: str = field(default_factory=lambda: _text("TECHBANK_JWT_ISSUER"))
    jwt_audience: str = field(default_factory=lambda: _text("TECHBANK_JWT_AUDIENCE"))
    jwt_algorithms: str = field(
        default_factory=lambda: _text("TECHBANK_JWT_ALGORITHMS", "ES256,RS256,EdDSA")
    )
    allow_insecure: bool = field(
        default_factory=lambda: _text("TECHBANK_ALLOW_INSECURE", "0") == "1"
    )
    reflection: bool = field(default_factory=lambda: _text("TECHBANK_REFLECTION", "1") == "1")
    max_request_bytes: int = field(
        default_factory=lambda: count("TECHBANK_MAX_REQUEST_BYTES", 65536)
    )
    max_concurrent_calls: int = field(
        default_factory=lambda: count("TECHBANK_MAX_CONCURRENT_CALLS", 512)
    )
    max_streams: int = field(default_factory=lambda: count("TECHBANK_MAX_STREAMS", 64))
    max_streams_per_client: int = field(
        default_factory=lambda: count("TECHBANK_MAX_STREAMS_PER_CLIENT", 16)
    )
    stream_stall_seconds: float = field(
        default_factory=lambda: seconds("TECHBANK_STREAM_STALL_SECONDS", 30)
    )

    @property
    def stream_limits(self) -> StreamLimits:
        return StreamLimits(
            self.max_streams, self.stream_stall_seconds, self.max_streams_per_client
        )


class UnsafeExposure(ConfigurationError):
    """The configuration would expose the server in a way it refuses to."""


def server_credentials(config: ServerConfig) -> grpc.ServerCredentials | None:
    """TLS credentials; with a client CA, every client must present a certificate it signed."""
    if not config.tls_cert_file and not config.tls_key_file:
        return None
    if not (config.tls_cert_file and config.tls_key_file):
        raise UnsafeExposure("TLS needs both TECHBANK_TLS_CERT_FILE and TECHBANK_TLS_KEY_FILE")
    pair = (
        read_setting_file("TECHBANK_TLS_KEY_FILE", config.tls_key_file),
        read_setting_file("TECHBANK_TLS_CERT_FILE", config.tls_cert_file),
    )
    client_ca = None
    if config.client_ca_file:
        client_ca = read_setting_file("TECHBANK_TLS_CLIENT_CA_FILE", config.client_ca_file)
    return grpc.ssl_server_credentials(
        [pair], root_certificates=client_ca, require_client_auth=client_ca is not None
    )


def authenticator(config: ServerConfig) -> Authenticator | None:
    """Who may call, or None when nothing is configured (anyone may)."""
    tokens = _token_verifier(config)
    if tokens is None and not config.client_ca_file:
        return None
    return Authenticator(tokens, certificate_scopes(config.certificate_scopes))


def _token_verifier(config: ServerConfig) -> TokenVerifier | None:
    if not config.jwt_keys_file:
        return None
    if not (config.jwt_issuer and config.jwt_audience):
        raise UnsafeExposure(
            "TECHBANK_JWT_KEYS_FILE needs TECHBANK_JWT_ISSUER and TECHBANK_JWT_AUDIENCE"
        )
    pems = PEM_BLOCK.findall(read_setting_file("TECHBANK_JWT_KEYS_FILE", config.jwt_keys_file))
    if not pems:
        raise UnsafeExposure(f"TECHBANK_JWT_KEYS_FILE: no PEM public key in {config.jwt_keys_file}")
    return TokenVerifier(
        [load_pem_public_key(pem) for pem in pems],
        config.jwt_issuer,
        config.jwt_audience,
        [name.strip() for name in config.jwt_algorithms.split(",") if name.strip()],
    )


def certificate_scopes(table: str) -> dict[str, frozenset[str]]:
    """`name=scope scope;name=scope` (certificate common names) as a mapping."""
    scopes: dict[str, frozenset[str]] = {}
    for entry in filter(None, (part.strip() for part in table.split(";"))):
        name, sep, granted = entry.partition("=")
        if not sep or not name.strip():
            raise UnsafeExposure(f"TECHBANK_CERTIFICATE_SCOPES: {entry!r} is not name=scopes")
        scopes[name.strip()] = frozenset(granted.replace(",", " ").split())
    return scopes


def check_exposure(address: str, secure: bool, authenticated: bool, config: ServerConfig) -> None:
    """Refuse what would expose the server; warn where TECHBANK_ALLOW_INSECURE allows it."""
    if authenticated and not secure and not config.allow_insecure:
        raise UnsafeExposure("authentication without TLS would send credentials in the clear")
    if is_loopback(address) or (secure and authenticated):
        return
    if not config.allow_insecure:
        raise UnsafeExposure(
            f"{address} is not a loopback address: configure TLS (TECHBANK_TLS_CERT_FILE, "
            "TECHBANK_TLS_KEY_FILE) and authentication (TECHBANK_TLS_CLIENT_CA_FILE or "
            "TECHBANK_JWT_KEYS_FILE), or set TECHBANK_ALLOW_INSECURE=1"
        )
    log.warning(
        "INSECURE: serving %s on %s (TECHBANK_ALLOW_INSECURE=1): anyone who reaches it may call",
        "without TLS" if not secure else "without authentication",
        address,
    )


def is_loopback(address: str) -> bool:
    host = address.rsplit(":", 1)[0].strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
