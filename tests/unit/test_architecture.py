"""Which package may import which (devtools.import_graph reads the arrows from source).

Dependencies point inward: services -> bank -> core; adapters -> bank, core; nothing
production-side imports the harness, the bench or the tests; the three services never
import one another (the composition roots, embedded and admin, assemble them), and
nothing imports a composition root; the client imports no part of the servers."""

import sys

import pytest

from devtools import import_graph

SERVICES = ("command_server", "query_server", "projector")
ROOTS = ("embedded", "admin")  # each assembles parts of several services into one program
SERVERS_SIDE = ("core", "adapters", "bank", *ROOTS, *SERVICES)
PRODUCTION = (*SERVERS_SIDE, "techbank_client")
REPOSITORY_ONLY = ("harness", "bench", "tests", "devtools")
ARROWS = import_graph.package_arrows()


def arrows_from(package: str) -> set[str]:
    return {sink for source, sink in ARROWS if source == package}


@pytest.mark.parametrize("service", SERVICES)
def test_no_service_imports_another(service: str) -> None:
    assert arrows_from(service) & set(SERVICES) == set(), ARROWS


def test_core_imports_only_the_standard_library() -> None:
    assert arrows_from("core") == set()
    outside = (
        {
            module.split(".")[0]
            for name, path in import_graph.modules()
            if name.startswith("core.")
            for module in import_graph.all_imports(name, path)
        }
        - set(sys.stdlib_module_names)
        - {"core"}
    )
    assert outside == set()


def test_adapters_know_only_the_ports_they_serve() -> None:
    """The core's ports, and the bank's (its read model and reader)."""
    assert arrows_from("adapters") == {"core", "bank"}


def test_the_shared_kernel_imports_only_the_core() -> None:
    assert arrows_from("bank") == {"core"}


@pytest.mark.parametrize("package", PRODUCTION)
def test_production_code_imports_nothing_kept_in_the_repository_only(package: str) -> None:
    assert arrows_from(package) & set(REPOSITORY_ONLY) == set()


def test_only_the_composition_roots_assemble_services() -> None:
    assembling = {s for s, sink in ARROWS if sink in SERVICES and s not in REPOSITORY_ONLY}
    assert assembling - set(SERVICES) <= set(ROOTS)


@pytest.mark.parametrize("root", ROOTS)
def test_nothing_production_side_imports_a_composition_root(root: str) -> None:
    importing = {s for s, sink in ARROWS if sink == root and s != root}
    assert importing & set(PRODUCTION) == set(), ARROWS


def test_the_client_imports_no_part_of_the_servers() -> None:
    assert arrows_from("techbank_client") & set(SERVERS_SIDE) == set(), ARROWS


def test_the_graph_sees_the_imports_it_must() -> None:
    arrows = import_graph.module_arrows()
    assert "core.events" in arrows["core.event_store"]
    assert "projector.bootstrap" in arrows["embedded.bootstrap"]


def test_only_the_settings_read_the_environment() -> None:
    """Each process reads its environment once, into adapters.settings.Settings, in its
    entry point; everything below is handed what it needs."""
    reading = {
        name
        for name, path in import_graph.modules()
        if name.split(".")[0] in SERVERS_SIDE
        and name != "adapters.settings"
        and not name.endswith("__main__")
        and ("os.environ" in path.read_text() or "getenv(" in path.read_text())
    }
    assert reading == set()
