"""Hypothesis profiles: CI replays the same examples every run, so a red build is
reproducible; locally every run explores new ones. No example has a time limit: the
machines are shared, and performance is measured by `make bench`, not by tests.

Compiled bytecode is kept, outside the sources, for every process the tests start: with
PYTHONDONTWRITEBYTECODE set (as on CI's machines) each server, tool and command-line
process would compile its imports anew, about a second each, hundreds of times a run."""

import os
import sys
from pathlib import Path

from hypothesis import settings

settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("dev", deadline=None, print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") else "dev")

BYTECODE = Path(__file__).resolve().parents[1] / ".pytest_cache" / "bytecode"
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
os.environ.setdefault("PYTHONPYCACHEPREFIX", str(BYTECODE))
sys.dont_write_bytecode = False
sys.pycache_prefix = os.environ["PYTHONPYCACHEPREFIX"]
