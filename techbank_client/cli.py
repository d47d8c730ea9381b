"""`techbank`: accounts and transfers from the command line (the operator's tools are
`techbank-admin`'s: the admin package).

Exit status: 0 done; 1 `transfers send` was refused;
2 the command line or its credentials cannot work; 3 `transfers send` still under way
when its deadline came; 10 + the gRPC status code when a call failed (15 NOT_FOUND,
19 FAILED_PRECONDITION, 24 UNAVAILABLE, ...), after `error: <CODE> <REASON>: <message>`
on stderr; 130 interrupted.
"""

import asyncio
import os
import sys
from collections.abc import Sequence

from techbank_client.actions import Action, SetupError
from techbank_client.errors import TechbankError
from techbank_client.output import Output, shown
from techbank_client.parser import build_parser

USAGE_ERROR = 2
RPC_ERROR_BASE = 10
INTERRUPTED = 130
BROKEN_PIPE = 141  # 128 + SIGPIPE, as a shell reports a pipe closed early


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    action: Action = args.action
    try:
        return asyncio.run(action(args, Output(args.json)))
    except TechbankError as error:
        print(f"error: {shown(str(error))}", file=sys.stderr)
        return RPC_ERROR_BASE + error.code.value[0]
    except SetupError as error:
        print(f"error: {error}", file=sys.stderr)
        return USAGE_ERROR
    except KeyboardInterrupt:
        return INTERRUPTED
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no error at exit
        return BROKEN_PIPE


if __name__ == "__main__":
    sys.exit(main())
