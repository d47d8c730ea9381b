"""Which of Techbank's packages imports which, read from the source (nothing is imported).

    python -m devtools.import_graph            one line per arrow: `from -> to  (modules)`
    python -m devtools.import_graph --modules  one line per module-to-module import

The architecture test (tests/unit/test_architecture.py) checks these arrows.
"""

import ast
import sys
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = (
    "core",
    "adapters",
    "command_server",
    "query_server",
    "projector",
    "bank",
    "embedded",
    "admin",
    "techbank_client",
    "bench",
    "devtools",
    "harness",
    "tests",
)


def modules() -> Iterator[tuple[str, Path]]:
    """Every first-party module, as (dotted name, path)."""
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            yield ".".join(p for p in parts if p != "__init__"), path


def imports_of(name: str, path: Path) -> set[str]:
    """The first-party modules `path` imports, wherever in the file (functions included)."""
    return {m for m in all_imports(name, path) if m.split(".")[0] in PACKAGES}


def all_imports(name: str, path: Path) -> set[str]:
    """Every module `path` (the module `name`) imports, first-party or not."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            found.add(_absolute(name, path, node))
    return found


def _absolute(name: str, path: Path, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    base = package[: len(package) - node.level + 1]
    return ".".join([*base, node.module] if node.module else base)


def module_arrows() -> dict[str, set[str]]:
    return {name: imports_of(name, path) for name, path in modules()}


def package_arrows() -> dict[tuple[str, str], set[str]]:
    """(importing package, imported package) -> the importing modules."""
    arrows: dict[tuple[str, str], set[str]] = defaultdict(set)
    for name, targets in module_arrows().items():
        for target in targets:
            source, sink = name.split(".")[0], target.split(".")[0]
            if source != sink:
                arrows[source, sink].add(name)
    return arrows


def main(argv: list[str]) -> None:
    if "--modules" in argv:
        for name, targets in sorted(module_arrows().items()):
            for target in sorted(targets):
                print(f"{name} -> {target}")
        return
    for (source, sink), names in sorted(package_arrows().items()):
        print(f"{source} -> {sink}  ({len(names)}: {', '.join(sorted(names))})")


if __name__ == "__main__":
    main(sys.argv[1:])
