"""How every entry point starts (adapters.command_line): a configuration error is one
line and exit 2, a tool's arguments are read before it runs, its help names it."""

import argparse

import pytest

from adapters.command_line import MISCONFIGURED, Tool, exit_status
from adapters.settings import ConfigurationError

DOC = """`python -m somewhere.tool` (or `techbank-admin tool`): do one thing,
and say so.

What it does, at length."""


def test_a_configuration_error_is_one_line_and_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    def start() -> None:
        raise ConfigurationError("TECHBANK_SOMETHING=x: cannot be x")

    assert exit_status("python -m x", start) == MISCONFIGURED
    assert capsys.readouterr().err == "python -m x: TECHBANK_SOMETHING=x: cannot be x\n"


def test_other_errors_are_not_taken_for_a_configuration_error() -> None:
    def start() -> None:
        raise RuntimeError("a bug")

    with pytest.raises(RuntimeError):
        exit_status("python -m x", start)


def tool(ran: list[argparse.Namespace]) -> Tool:
    def arguments(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--times", type=int, default=1)

    async def run(args: argparse.Namespace) -> int:
        ran.append(args)
        return 3

    return Tool("tool", "somewhere.tool", DOC, arguments, run)


def test_a_tool_runs_with_its_arguments_and_answers_its_status() -> None:
    ran: list[argparse.Namespace] = []
    assert tool(ran).main(["--times", "2"]) == 3
    assert [args.times for args in ran] == [2]


def test_a_wrong_flag_exits_2_before_the_tool_runs(capsys: pytest.CaptureFixture[str]) -> None:
    ran: list[argparse.Namespace] = []
    with pytest.raises(SystemExit) as exited:
        tool(ran).main(["--bogus"])
    assert (exited.value.code, ran) == (2, [])
    assert "python -m somewhere.tool: error: unrecognized arguments: --bogus" in (
        capsys.readouterr().err
    )


def test_a_tools_summary_is_its_first_paragraph_without_its_names() -> None:
    assert tool([]).summary == "do one thing, and say so."
