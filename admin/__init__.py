"""`techbank-admin` (or `python -m admin`): the operator's commands, in one place.

Each works on the stores themselves, as the TECHBANK_* settings name them (the stores'
URLs, not the servers' addresses), which no server hands to its callers. Each is also
`python -m <its module>` (its --help says which); both names run the same code.

Exit status: 0 done; 1 a check found a difference; 2 a wrong command line, or a setting
the command cannot start with (one line on stderr names it).
"""

from collections.abc import Sequence

from adapters.command_line import Tool, parser_for
from admin import parked
from command_server import ledger
from projector import check, rebuild, restore

# A composition root, as `embedded` is: it brings together the tools of the projector and
# the command server, which each keep their own (adapters.command_line.Tool). A new tool
# is its module's TOOL and one line in TOOLS.
TOOLS: list[Tool] = [
    restore.TOOL,
    rebuild.TOOL,
    check.TOOL,
    ledger.TOOL,
    parked.TOOL,
]


def main(argv: Sequence[str] | None = None, prog: str = "techbank-admin") -> int:
    parser = parser_for(prog, __doc__)
    commands = parser.add_subparsers(required=True, metavar="COMMAND")
    for tool in TOOLS:
        tool.add_to(commands)
    args = parser.parse_args(argv)
    chosen: Tool = args.tool
    return chosen.started(f"{prog} {chosen.name}", args)
