"""Which package may import which (devtools.import_graph reads the arrows from source).

Dependencies point inward: services -> bank -> core; adapters -> core; nothing
production-side imports the harness, the bench or the tests; and the three services
never import one another (the embedded root assembles two of them)."""

import sys

import pytest

from devtools import import_graph

SERVICES = ("command_server", "query_server", "projector")
PRODUCTION = ("core", "adapters", "bank", "embedded", *SERVICES)
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


def test_adapters_know_only_the_core() -> None:
    assert arrows_from("adapters") == {"core"}


def test_the_shared_kernel_imports_no_service() -> None:
    assert arrows_from("bank") <= {"core", "adapters"}


@pytest.mark.parametrize("package", PRODUCTION)
def test_production_code_imports_nothing_kept_in_the_repository_only(package: str) -> None:
    assert arrows_from(package) & set(REPOSITORY_ONLY) == set()


def test_only_the_embedded_root_assembles_two_services() -> None:
    assembling = {s for s, sink in ARROWS if sink in SERVICES and s not in REPOSITORY_ONLY}
    assert assembling <= {"embedded", "techbank_client"}  # the client's admin: operator tools


def test_the_graph_sees_the_imports_it_must() -> None:
    arrows = import_graph.module_arrows()
    assert "core.events" in arrows["core.event_store"]
    assert "projector.bootstrap" in arrows["embedded.bootstrap"]
