"""`pip install .` in a fresh virtualenv: the servers' packages, the generated `techbank`
package with its descriptor set, the client and the `techbank` command, the operator's
`techbank-admin`, and nothing of tests, bench or devtools. uv installs the locked versions
(requirements.lock as constraints) from its cache in seconds."""

import shutil
import subprocess
import sys
from pathlib import Path

from harness.processes import REPO

NOT_IN_A_CLONE = {".git", ".venv", ".tools", "data", "tmp", "credentials", ".env"}
NEVER_COPIED = shutil.ignore_patterns(
    "__pycache__", "node_modules", "*.egg-info", "build", ".*_cache", ".hypothesis"
)
IMPORTS = """
import importlib.util, sys
from importlib.resources import files
import techbank_client, techbank_client.cli, techbank.account.v1.commands_pb2
import command_server.bootstrap, query_server.servicer, projector.restore, projector.check
import embedded.bootstrap, adapters.sql.read_schema, admin
assert files("techbank").joinpath("descriptors.binpb").is_file()
assert techbank_client.__file__.startswith(sys.prefix), techbank_client.__file__
repository_only = ("tests", "bench", "devtools", "harness")
left_out = [name for name in repository_only if importlib.util.find_spec(name)]
assert not left_out, left_out
"""


def uv() -> str:
    found = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
    assert found, "uv is not installed (make venv installs it into .venv)"
    return found


def clone_like_copy(target: Path) -> Path:
    """The working tree as a clone would have it, without build output or local state."""

    def ignored(directory: str, names: list[str]) -> set[str]:
        top = set(names) & NOT_IN_A_CLONE if Path(directory) == REPO else set()
        return top | NEVER_COPIED(directory, names)

    shutil.copytree(REPO, target, ignore=ignored)
    return target


def run(*command: str | Path, cwd: Path) -> str:
    done = subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, f"{command}: {done.stdout}{done.stderr}"
    return done.stdout


def test_pip_install_dot_gives_the_packages_and_the_techbank_command(tmp_path: Path) -> None:
    source, venv, elsewhere = tmp_path / "source", tmp_path / "venv", tmp_path / "elsewhere"
    elsewhere.mkdir()
    clone_like_copy(source)
    run(uv(), "venv", "-q", "--python", sys.executable, venv, cwd=elsewhere)
    python = venv / "bin" / "python"
    constraints = REPO / "requirements.lock"
    run(uv(), "pip", "install", "-q", "--python", python, "-c", constraints, source, cwd=elsewhere)

    assert "{accounts,transfers}" in run(venv / "bin" / "techbank", "--help", cwd=elsewhere)
    operator = run(venv / "bin" / "techbank-admin", "--help", cwd=elsewhere)
    assert operator.startswith("usage: techbank-admin ") and "    restore " in operator
    run(python, "-c", IMPORTS, cwd=elsewhere)
