"""The `techbank-admin` command line: one subcommand per operator's tool.

A composition root, as `embedded` is: it brings together tools of the projector and
the command server, which each keep their own (adapters.command_line.Tool). A new tool
is its module's TOOL and one line in TOOLS.
"""

import sys
from collections.abc import Sequence

import admin
from adapters.command_line import Tool, parser_for
from admin import parked
from command_server import ledger
from projector import check, rebuild, restore

TOOLS: list[Tool] = [
    restore.TOOL,
    rebuild.TOOL,
    check.TOOL,
    ledger.TOOL,
    parked.TOOL,
]


def main(argv: Sequence[str] | None = None, prog: str = "techbank-admin") -> int:
    parser = parser_for(prog, admin.__doc__)
    commands = parser.add_subparsers(required=True, metavar="COMMAND")
    for tool in TOOLS:
        tool.add_to(commands)
    args = parser.parse_args(argv)
    chosen: Tool = args.tool
    return chosen.started(f"{prog} {chosen.name}", args)


if __name__ == "__main__":
    sys.exit(main())
