"""The `techbank` command line's own pieces: a parser that reports its errors to `main`
instead of exiting, the types of amounts and moments, and the version it shows."""

import argparse
import importlib.metadata
import tomllib
from datetime import datetime
from pathlib import Path
from typing import NoReturn

DISTRIBUTION = "techbank"
SOURCE_TREE = Path(__file__).resolve().parent.parent


class UsageError(Exception):
    """The command line cannot be read: `usage` is the usage of the (sub)command it is for."""

    def __init__(self, message: str, usage: str, prog: str) -> None:
        super().__init__(message)
        self.message, self.usage, self.prog = message, usage, prog


class CommandLineParser(argparse.ArgumentParser):
    """argparse's parser, but an error is raised, so that `main` can say it in JSON too."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(message, self.format_usage(), self.prog)


def cents(text: str) -> int:
    """An amount: whole cents, said so when it looks like currency (`12.50`)."""
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"amount must be whole cents, like 1250 for 12.50 (not {text!r})"
        ) from None


def moment(text: str) -> datetime:
    """MOMENT, refused without a timezone: a balance at a guessed hour would look right."""
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 moment: {text!r}") from None
    if parsed.utcoffset() is None:
        raise argparse.ArgumentTypeError(f"{text!r} has no timezone: add Z (UTC) or +HH:MM")
    return parsed


def version() -> str:
    """The installed distribution's version; run from a source tree, its pyproject's."""
    try:
        return importlib.metadata.version(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        pass
    try:
        project = tomllib.loads((SOURCE_TREE / "pyproject.toml").read_text("utf-8"))["project"]
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return "(version unknown: not installed)"
    if project.get("name") != DISTRIBUTION:
        return "(version unknown: not installed)"
    return f"{project['version']} (source tree, not installed)"


class ShowVersion(argparse.Action):
    """`--version`: the version on stdout, exit 0 (looked up only when asked)."""

    def __init__(self, option_strings: list[str], dest: str, **_: object) -> None:
        super().__init__(
            option_strings, dest, nargs=0, default=argparse.SUPPRESS, help="show the version"
        )

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: object,
        option_string: str | None = None,
    ) -> None:
        print(f"{DISTRIBUTION} {version()}")
        parser.exit()
