"""`techbank`: accounts and transfers from the command line (the operator's tools are
`techbank-admin`'s: the admin package).

Exit status: 0 done; 1 `transfers send` was refused;
2 the command line or its credentials cannot work; 3 `transfers send` still under way
when its deadline came; 10 + the gRPC status code when a call failed (15 NOT_FOUND,
19 FAILED_PRECONDITION, 24 UNAVAILABLE, ...), after `error: <CODE> <REASON>: <message>`
on stderr (with --json, one JSON object there: techbank_client.failures); 130 interrupted.
"""

import asyncio
import itertools
import os
import sys
from collections.abc import Sequence

from techbank_client.actions import Action, SetupError
from techbank_client.arguments import UsageError
from techbank_client.errors import TechbankError
from techbank_client.failures import report
from techbank_client.output import Output
from techbank_client.parser import build_parser

USAGE_ERROR = 2
RPC_ERROR_BASE = 10
INTERRUPTED = 130
BROKEN_PIPE = 141  # 128 + SIGPIPE, as a shell reports a pipe closed early


def main(argv: Sequence[str] | None = None) -> int:
    words = sys.argv[1:] if argv is None else list(argv)
    try:
        args = build_parser().parse_args(words)
    except UsageError as error:
        return usage_error(error, asks_json(words))
    action: Action = args.action
    try:
        return asyncio.run(action(args, Output(args.json)))
    except TechbankError as error:
        report(args.json, error)
        return RPC_ERROR_BASE + error.code.value[0]
    except SetupError as error:
        report(args.json, str(error))
        return USAGE_ERROR
    except KeyboardInterrupt:
        return INTERRUPTED
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no error at exit
        return BROKEN_PIPE


def asks_json(words: Sequence[str]) -> bool:
    """Whether `--json` is among the options, for a command line that could not be read."""
    return "--json" in itertools.takewhile(lambda word: word != "--", words)


def usage_error(error: UsageError, as_json: bool) -> int:
    """As argparse says it (the usage, then `techbank ...: error: ...`), or in JSON."""
    if as_json:
        report(True, error.message)
    else:
        sys.stderr.write(f"{error.usage}{error.prog}: error: {error.message}\n")
    return USAGE_ERROR


if __name__ == "__main__":
    sys.exit(main())
