"""docker-compose.yml and its gRPC proxy's template (docker/nginx/grpc-proxy.conf.template),
read as Compose and the nginx image read them."""

import re
from collections.abc import Mapping, Sequence
from typing import Any

import yaml  # type: ignore[import-untyped]  # PyYAML ships no types, nor does the lock

from harness.processes import REPO

TEMPLATE = REPO / "docker" / "nginx" / "grpc-proxy.conf.template"
COMPOSE_FILE = REPO / "docker-compose.yml"
# What envsubst replaces: $NAME and ${NAME}.
VARIABLE = re.compile(r"\$(?:\{(\w+)\}|(\w+))")
# The values the compose file gives the template; NGINX_ENVSUBST_FILTER there says the same.
PROXY_PREFIX = "TECHBANK_PROXY_"


def _variables(template: str) -> set[str]:
    return {braced or bare for braced, bare in VARIABLE.findall(template)}


def template_variables(template: str) -> set[str]:
    """The names of the TECHBANK_PROXY_* values `template` refers to (nginx's own
    variables, like $http_techbank_account_id, are left to nginx)."""
    return {name for name in _variables(template) if name.startswith(PROXY_PREFIX)}


def render(template: str, environment: Mapping[str, str]) -> str:
    """What the image's envsubst makes of `template` under NGINX_ENVSUBST_FILTER: each
    TECHBANK_PROXY_* variable replaced by its value, every other left to nginx. One that
    `environment` does not set is an error here (envsubst would leave it as it is, and
    nginx would refuse it or, worse, take it literally)."""
    missing = template_variables(template) - environment.keys()
    if missing:
        raise KeyError(f"the template needs {sorted(missing)}")

    def value(found: re.Match[str]) -> str:
        name = found[1] or found[2]
        return environment[name] if name.startswith(PROXY_PREFIX) else found[0]

    return VARIABLE.sub(value, template)


def upstream_servers(addresses: Sequence[str]) -> str:
    """An upstream block's `server` lines for fixed addresses (host:port)."""
    return " ".join(f"server {address};" for address in addresses)


def compose_file() -> dict[str, Any]:
    """docker-compose.yml as PyYAML reads it (merge keys applied; no interpolation)."""
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE_FILE.read_text())
    return loaded
