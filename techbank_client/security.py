"""How the client reaches servers that are not the plaintext loopback default: TLS
(the servers' CA, and for mutual TLS a client certificate and key) and a bearer token,
as adapters/grpc/config.py and adapters/grpc/auth.py accept them."""

from dataclasses import dataclass
from pathlib import Path

import grpc

USER_AGENT = "techbank-client/0.1"


@dataclass(frozen=True)
class Security:
    """Plaintext when nothing is set. `root_ca` (PEM) verifies the server (None with `tls`:
    the system's roots); `client_cert` and `client_key` (PEM) go together; a `token` is
    sent as `authorization: Bearer <token>`, and only over TLS, as the servers require."""

    tls: bool = False
    root_ca: bytes | None = None
    client_cert: bytes | None = None
    client_key: bytes | None = None
    token: str | None = None

    def __post_init__(self) -> None:
        if (self.client_cert is None) != (self.client_key is None):
            raise ValueError("a client certificate and its key go together")
        if self.token and not self.uses_tls:
            raise ValueError("a bearer token needs TLS: the servers never take one in the clear")

    @property
    def uses_tls(self) -> bool:
        return self.tls or self.root_ca is not None or self.client_cert is not None

    @classmethod
    def from_files(
        cls,
        *,
        tls: bool = False,
        ca_file: str | None = None,
        cert_file: str | None = None,
        key_file: str | None = None,
        token: str | None = None,
    ) -> "Security":
        """The same, with each PEM read from its file (OSError when one cannot be read)."""
        return cls(tls, _read(ca_file), _read(cert_file), _read(key_file), token)

    def credentials(self) -> grpc.ChannelCredentials | None:
        """The channel's credentials; None for plaintext."""
        if not self.uses_tls:
            return None
        tls = grpc.ssl_channel_credentials(self.root_ca, self.client_key, self.client_cert)
        if not self.token:
            return tls
        bearer = grpc.access_token_call_credentials(self.token)
        return grpc.composite_channel_credentials(tls, bearer)


def _read(path: str | None) -> bytes | None:
    return Path(path).read_bytes() if path else None


def open_channel(address: str, security: Security) -> grpc.aio.Channel:
    options = [("grpc.primary_user_agent", USER_AGENT)]
    credentials = security.credentials()
    if credentials is None:
        return grpc.aio.insecure_channel(address, options=options)
    return grpc.aio.secure_channel(address, credentials, options=options)
