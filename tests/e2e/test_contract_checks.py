"""The contract's checks with the real buf (installed by make from npm): `buf lint`
passes on protos/, and `buf breaking` against the last commit, as `make lint` runs it,
refuses a change that would break code generated from the committed contract while it
lets a compatible one through."""

import shutil
import subprocess
from pathlib import Path

import pytest

from harness.processes import REPO

BUF = REPO / ".tools" / "node_modules" / ".bin" / "buf"
QUERIES = Path("protos/techbank/account/v1/queries.proto")


def run(*words: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(words, cwd=cwd, capture_output=True, text=True, timeout=60, check=False)


@pytest.fixture
def committed(tmp_path: Path) -> Path:
    """A git repository holding the contract as it is now, committed."""
    assert BUF.exists(), f"{BUF} is missing: `make lint` installs it"
    shutil.copytree(REPO / "protos", tmp_path / "protos")
    shutil.copy(REPO / "buf.yaml", tmp_path / "buf.yaml")
    for words in (
        ("git", "init", "-q"),
        ("git", "add", "."),
        ("git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "contract"),
    ):
        assert run(*words, cwd=tmp_path).returncode == 0
    return tmp_path


def breaking(repo: Path) -> subprocess.CompletedProcess[str]:
    return run(str(BUF), "breaking", "--against", ".git#ref=HEAD", cwd=repo)


def test_the_contract_passes_lint() -> None:
    linted = run(str(BUF), "lint", cwd=REPO)
    assert (linted.returncode, linted.stdout) == (0, ""), linted.stdout + linted.stderr


def test_an_unchanged_contract_passes(committed: Path) -> None:
    assert breaking(committed).returncode == 0


def test_a_renamed_field_is_refused(committed: Path) -> None:
    proto = committed / QUERIES
    proto.write_text(proto.read_text().replace("string page_token = 2;", "string cursor = 2;"))
    refused = breaking(committed)
    assert refused.returncode != 0
    assert 'changed name from "page_token" to "cursor"' in refused.stdout


def test_a_new_optional_field_passes(committed: Path) -> None:
    proto = committed / QUERIES
    added = "  int32 page_size = 1;\n  // New.\n  bool descending = 9;\n"
    proto.write_text(proto.read_text().replace("  int32 page_size = 1;\n", added, 1))
    assert breaking(committed).returncode == 0, breaking(committed).stdout
