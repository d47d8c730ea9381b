"""Development credentials, made on this machine with `cryptography` (nothing downloaded).

    python -m devtools.credentials make [DIR]     # `make certs`: DIR defaults to ./credentials
    python -m devtools.credentials token --sub teller --scope "accounts:read" [DIR]

`make` writes a certificate authority, a server certificate for localhost / 127.0.0.1 /
::1, one client certificate per development client (common name = client name), and
an ES256 key pair that signs bearer tokens; `token` prints a JWT signed by that key.
For development and tests only: the keys are unencrypted files.
"""

import argparse
import datetime
import ipaddress
import sys
import time
from pathlib import Path

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

DEFAULT_DIR = Path("credentials")
ISSUER = "techbank-dev"
AUDIENCE = "techbank"
CLIENTS = ("teller", "auditor", "stranger")
VALID_DAYS = 365
Key = ec.EllipticCurvePrivateKey


def make_all(directory: Path, clients: tuple[str, ...] = CLIENTS) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    ca_key, ca = _authority()
    _write(directory, "ca", ca_key, ca)
    server_key = ec.generate_private_key(ec.SECP256R1())
    _write(directory, "server", server_key, _server_certificate(server_key, ca_key, ca))
    for client in clients:
        key = ec.generate_private_key(ec.SECP256R1())
        _write(directory, client, key, _client_certificate(client, key, ca_key, ca))
    token_key = ec.generate_private_key(ec.SECP256R1())
    (directory / "token-signing-key.pem").write_bytes(_private_pem(token_key))
    (directory / "token-public-key.pem").write_bytes(
        token_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )


def token(
    directory: Path,
    subject: str,
    scopes: str,
    *,
    minutes: float = 60,
    issuer: str = ISSUER,
    audience: str = AUDIENCE,
) -> str:
    key = serialization.load_pem_private_key(
        (directory / "token-signing-key.pem").read_bytes(), password=None
    )
    now = int(time.time())
    claims = {
        "iss": issuer,
        "aud": audience,
        "sub": subject,
        "scope": scopes,
        "iat": now,
        "exp": now + int(minutes * 60),
    }
    return jwt.encode(claims, key, algorithm="ES256")  # type: ignore[arg-type]


def _authority() -> tuple[Key, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = _name("Techbank development CA")
    certificate = (
        _builder(name, name, key)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(key, hashes.SHA256())
    )
    return key, certificate


def _server_certificate(key: Key, ca_key: Key, ca: x509.Certificate) -> x509.Certificate:
    names = [
        x509.DNSName("localhost"),
        x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
        x509.IPAddress(ipaddress.ip_address("::1")),
    ]
    return (
        _builder(_name("localhost"), ca.subject, key)
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )


def _client_certificate(
    client: str, key: Key, ca_key: Key, ca: x509.Certificate
) -> x509.Certificate:
    return (
        _builder(_name(client), ca.subject, key)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )


def _builder(subject: x509.Name, issuer: x509.Name, key: Key) -> x509.CertificateBuilder:
    now = datetime.datetime.now(datetime.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=VALID_DAYS))
    )


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _write(directory: Path, stem: str, key: Key, certificate: x509.Certificate) -> None:
    (directory / f"{stem}.pem").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file = directory / f"{stem}-key.pem"
    key_file.write_bytes(_private_pem(key))
    key_file.chmod(0o600)


def _private_pem(key: Key) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m devtools.credentials",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    made = commands.add_parser("make", help="write a CA, certificates and a token key")
    made.add_argument("directory", nargs="?", type=Path, default=DEFAULT_DIR)
    minted = commands.add_parser("token", help="print a bearer token")
    minted.add_argument("directory", nargs="?", type=Path, default=DEFAULT_DIR)
    minted.add_argument("--sub", required=True)
    minted.add_argument("--scope", default="accounts:read accounts:write")
    minted.add_argument("--minutes", type=float, default=60)
    args = parser.parse_args(argv)
    if args.command == "make":
        make_all(args.directory)
        print(f"credentials written to {args.directory}/")
    else:
        print(token(args.directory, args.sub, args.scope, minutes=args.minutes))


if __name__ == "__main__":
    main(sys.argv[1:])
