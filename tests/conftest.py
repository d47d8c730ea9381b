"""Hypothesis profiles: CI replays the same examples every run, so a red build is
reproducible; locally every run explores new ones. No example has a time limit: the
machines are shared, and performance is measured by `make bench`, not by tests."""

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("dev", deadline=None, print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") else "dev")
