"""docker-compose.yml's topology, as the file states it: what runs how many times, behind
what, on which stores. No Docker here: these read the file (PyYAML, as Compose would
before interpolation) and catch an edit that quietly undoes the topology.
tests/faults/test_one_address.py runs the proxy's template for real."""

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from adapters.kafka.bus import KafkaTopic
from harness.compose import COMPOSE_FILE, PROXY_PREFIX, TEMPLATE, compose_file, template_variables
from techbank_client.command_calls import ROUTING_HEADER

SERVICES: dict[str, Any] = compose_file()["services"]
REPLICATED = ("command-server", "query-server", "projector")
PROXY = "grpc-proxy"


def replicas(name: str) -> int:
    return int(SERVICES[name].get("deploy", {}).get("replicas", 1))


def environment(name: str) -> dict[str, str]:
    return dict(SERVICES[name].get("environment", {}))


def running(module: str) -> list[str]:
    """The services whose command is `python -m <module>`."""
    return [n for n, s in SERVICES.items() if s.get("command") == ["python", "-m", module]]


def with_variable(variable: str) -> dict[str, str]:
    """Each service that sets `variable`, with its value."""
    return {name: environment(name)[variable] for name in SERVICES if variable in environment(name)}


@pytest.mark.parametrize("name", REPLICATED)
def test_each_techbank_process_runs_more_than_once(name: str) -> None:
    assert replicas(name) >= 2


@pytest.mark.parametrize("name", REPLICATED)
def test_a_replica_publishes_no_port_and_has_no_fixed_name(name: str) -> None:
    """Two replicas cannot publish one host port, nor share one container name."""
    assert "ports" not in SERVICES[name]
    assert "container_name" not in SERVICES[name]


def test_the_proxy_alone_publishes_both_gRPC_ports_on_loopback() -> None:
    published = {name: s["ports"] for name, s in SERVICES.items() if "ports" in s}
    assert published == {PROXY: ["127.0.0.1:50051:50051", "127.0.0.1:50052:50052"]}


def test_the_proxy_waits_for_healthy_replicas_of_both_sides() -> None:
    waits_for = SERVICES[PROXY]["depends_on"]
    for side in ("command-server", "query-server"):
        assert waits_for[side] == {"condition": "service_healthy"}
        assert "healthcheck" in SERVICES[side]
    assert "healthcheck" in SERVICES[PROXY]


def test_every_projector_replica_is_in_one_consumer_group() -> None:
    groups = with_variable("TECHBANK_PROJECTOR_GROUP")
    assert set(groups) == set(running("projector")) == {"projector"}
    assert all(groups.values())


def test_every_command_server_is_in_one_transfers_group() -> None:
    groups = with_variable("TECHBANK_TRANSFERS_GROUP")
    assert set(groups) == set(running("command_server")) == {"command-server"}
    assert all(groups.values())


def replica_set_members() -> dict[str, str]:
    """Each mongod service started as a replica set member, with its set's name."""
    members = {}
    for name, service in SERVICES.items():
        command = service.get("command", [])
        if "--replSet" in command:
            members[f"{name}:27017"] = command[command.index("--replSet") + 1]
    return members


def test_the_event_store_url_names_the_replica_set_and_every_member() -> None:
    members = replica_set_members()
    assert len(members) >= 3 and len(set(members.values())) == 1
    urls = with_variable("TECHBANK_EVENT_STORE_URL")
    assert set(urls) == {"command-server", "projector"}
    for url in urls.values():
        parts = urlsplit(url)
        assert set(parts.netloc.split(",")) == set(members)
        assert parse_qs(parts.query)["replicaSet"] == list(set(members.values()))


def test_the_replica_set_is_initiated_with_every_member_before_techbank_starts() -> None:
    script = SERVICES["mongo-init"]["command"][-1]
    (name,) = set(replica_set_members().values())
    assert f"_id: '{name}'" in script
    assert set(re.findall(r"host: '([^']+)'", script)) == set(replica_set_members())
    for service in with_variable("TECHBANK_EVENT_STORE_URL"):
        waits_for = SERVICES[service]["depends_on"]["mongo-init"]
        assert waits_for == {"condition": "service_completed_successfully"}


def test_the_bus_url_says_how_many_partitions_and_more_than_one() -> None:
    """Said, not left to Techbank's default: the count bounds the projectors at work."""
    urls = with_variable("TECHBANK_EVENT_BUS_URL")
    assert set(urls) == {"command-server", "projector"}
    (url,) = set(urls.values())
    assert "partitions" in parse_qs(urlsplit(url).query)
    assert KafkaTopic.from_url(url).partitions > 1


def mounted_template() -> tuple[str, str]:
    """The proxy's template: where the repository has it, where the image looks for it."""
    (volume,) = SERVICES[PROXY]["volumes"]
    source, target, _mode = volume.split(":")
    return source, target


def test_the_proxy_is_given_the_template_the_tests_run() -> None:
    source, target = mounted_template()
    assert (COMPOSE_FILE.parent / source).resolve() == TEMPLATE
    assert target.startswith("/etc/nginx/templates/") and target.endswith(".template")


def test_the_template_uses_exactly_the_values_the_proxy_is_given() -> None:
    """And envsubst replaces only those: nginx's own variables reach nginx."""
    text = TEMPLATE.read_text()
    given = {name for name in environment(PROXY) if name.startswith(PROXY_PREFIX)}
    assert template_variables(text) == given
    assert environment(PROXY)["NGINX_ENVSUBST_FILTER"] == f"^{PROXY_PREFIX}"
    assert re.findall(r"\$\{(\w+)\}", text) and all(
        name.startswith(PROXY_PREFIX) for name in re.findall(r"\$\{(\w+)\}", text)
    ), "the template's values are ${TECHBANK_PROXY_...}; nginx's are $bare"


def test_commands_are_hashed_on_the_header_the_client_sends() -> None:
    text = TEMPLATE.read_text()
    variable = "$http_" + ROUTING_HEADER.replace("-", "_")
    command_upstream = text.split("upstream command_servers {", 1)[1].split("}", 1)[0]
    assert f"hash {variable} consistent;" in command_upstream


def test_the_proxy_image_is_pinned_to_an_nginx_that_knows_resolve() -> None:
    """`server ... resolve` in an upstream needs nginx 1.27.3 or later."""
    image, _, tag = SERVICES[PROXY]["image"].partition(":")
    assert image == "nginx" and re.fullmatch(r"\d+\.\d+(\.\d+)?", tag), tag
    servers = [v for k, v in environment(PROXY).items() if k.endswith("_SERVERS")]
    if any(re.search(r"\bresolve\b", value) for value in servers):
        assert tuple(int(part) for part in tag.split(".")) >= (1, 27, 3)
