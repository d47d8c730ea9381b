"""The `techbank` command line: global options, `accounts ...` and `transfers ...`.

The operator's tools are `techbank-admin`'s (the admin package): they work on the stores,
which a client never reaches; `techbank admin` only says so."""

import argparse
import os

from techbank_client import actions
from techbank_client.arguments import CommandLineParser, ShowVersion, cents, moment
from techbank_client.client import DEFAULT_COMMAND_ADDRESS, DEFAULT_QUERY_ADDRESS

DESCRIPTION = "Techbank accounts and transfers. Amounts are given in cents."
EPILOG = """exit status: 0 done; 1 `transfers send` was refused; 2 bad usage or
credentials; 3 `transfers send` still under way at the deadline; 10 + the gRPC status
code when a call failed (15 NOT_FOUND, 19 FAILED_PRECONDITION, 24 UNAVAILABLE, ...);
130 interrupted. The operator's tools (restore, rebuild, check, ledger): techbank-admin"""
SEND_TEXT = """move CENTS from SOURCE to TARGET; exit 0 completed, 1 refused (the reason is
shown; any money debited went back), 3 still under way when the deadline came (the
transfer goes on: see `transfers show`)"""
MOMENT_HELP = """an ISO 8601 moment with its timezone, e.g. 2026-03-01T12:00:00Z or
2026-03-01T13:00:00+01:00 (none is refused, never guessed)"""


def build_parser() -> argparse.ArgumentParser:
    parser = CommandLineParser(prog="techbank", description=DESCRIPTION, epilog=EPILOG)
    parser.add_argument("--version", action=ShowVersion)
    _connection_options(parser)
    parser.add_argument(
        "--json",
        action="store_true",
        help="one JSON object per line, int64 as JSON numbers; an error too, on stderr",
    )
    groups = parser.add_subparsers(required=True, metavar="{accounts,transfers}")
    json_too = argparse.ArgumentParser(add_help=False)  # --json after the subcommand as well
    json_too.add_argument("--json", action="store_true", default=argparse.SUPPRESS)
    _accounts(groups.add_parser("accounts", help="open, move money, close, look up"), json_too)
    _transfers(groups.add_parser("transfers", help="move money between accounts"), json_too)
    # Not listed: it only points away, whatever follows it (--help too: no prefix char).
    moved = groups.add_parser("admin", add_help=False, prefix_chars="\0")
    moved.add_argument("words", nargs="*")
    moved.set_defaults(action=actions.admin_moved)
    return parser


def _connection_options(parser: argparse.ArgumentParser) -> None:
    env = os.environ.get
    parser.add_argument(
        "--command-address",
        metavar="HOST:PORT",
        default=env("TECHBANK_COMMAND_ADDRESS", DEFAULT_COMMAND_ADDRESS),
        help="host:port (default: $TECHBANK_COMMAND_ADDRESS or %(default)s)",
    )
    parser.add_argument(
        "--query-address",
        metavar="HOST:PORT",
        default=env("TECHBANK_QUERY_ADDRESS", DEFAULT_QUERY_ADDRESS),
        help="host:port (default: $TECHBANK_QUERY_ADDRESS or %(default)s)",
    )
    parser.add_argument("--tls", action="store_true", help="TLS, verified with system roots")
    parser.add_argument("--ca-file", metavar="PEM", help="TLS, verified with this CA (PEM)")
    parser.add_argument(
        "--cert-file", metavar="PEM", help="client certificate (PEM), for mutual TLS"
    )
    parser.add_argument("--key-file", metavar="PEM", help="its private key (PEM)")
    parser.add_argument(
        "--token", default=env("TECHBANK_TOKEN"), help="bearer token (default: $TECHBANK_TOKEN)"
    )
    parser.add_argument("--token-file", metavar="FILE", help="read the bearer token from this file")
    parser.add_argument(
        "--deadline",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="deadline of each call (default %(default)s)",
    )


def _accounts(parser: argparse.ArgumentParser, json_too: argparse.ArgumentParser) -> None:
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    def command(name: str, action: actions.AccountAction, text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=text, description=text, parents=[json_too])
        sub.set_defaults(action=actions.with_client(action))
        return sub

    opening = command("open", actions.open_account, "open an account")
    opening.add_argument("--holder", required=True)
    opening.add_argument("--type", required=True, choices=["savings", "current"])
    opening.add_argument("--opening-cents", type=cents, default=0, metavar="CENTS")
    _request_id(opening)
    for name, action in (("deposit", actions.deposit), ("withdraw", actions.withdraw)):
        moving = command(name, action, f"{name} CENTS")
        moving.add_argument("account_id", metavar="ID")
        moving.add_argument("cents", metavar="CENTS", type=cents)
        _reference(moving)
        _versioned(moving)
    closing = command("close", actions.close_account, "close an account for good")
    closing.add_argument("account_id", metavar="ID")
    _versioned(closing)
    getting = command("get", actions.get_account, "one account")
    getting.add_argument("account_id", metavar="ID")
    getting.add_argument(
        "--min-version", type=int, metavar="V", help="wait until the account has it"
    )
    stating = command(
        "statement", actions.show_statement, "an account's movements, each with its balance after"
    )
    stating.add_argument("account_id", metavar="ID")
    stating.add_argument("--page-size", type=int, default=0, metavar="N")
    stating.add_argument(
        "--min-version", type=int, metavar="V", help="wait until the account has it"
    )
    dating = command(
        "balance-as-of", actions.show_balance_as_of, "an account's balance as it was at a moment"
    )
    dating.add_argument("account_id", metavar="ID")
    dating.add_argument("moment", metavar="MOMENT", type=moment, help=MOMENT_HELP)
    listing = command("list", actions.list_accounts, "every account, in id order")
    listing.add_argument("--page-size", type=int, default=0, metavar="N")
    finding = command("find", actions.find_accounts, "accounts of a holder, or by balance")
    criterion = finding.add_mutually_exclusive_group(required=True)
    criterion.add_argument("--holder")
    criterion.add_argument("--above", type=cents, metavar="CENTS", help="balance greater than")
    criterion.add_argument("--below", type=cents, metavar="CENTS", help="balance less than")
    finding.add_argument("--page-size", type=int, default=0, metavar="N")


def _transfers(parser: argparse.ArgumentParser, json_too: argparse.ArgumentParser) -> None:
    commands = parser.add_subparsers(required=True, metavar="COMMAND")
    sending = commands.add_parser(
        "send", help="move money to another account", description=SEND_TEXT, parents=[json_too]
    )
    sending.set_defaults(action=actions.with_client(actions.send_transfer))
    sending.add_argument("source", metavar="SOURCE", help="the account debited")
    sending.add_argument("target", metavar="TARGET", help="the account credited")
    sending.add_argument("cents", metavar="CENTS", type=cents)
    _reference(sending)
    _request_id(sending)
    text = "one transfer, as it stands now"
    showing = commands.add_parser("show", help=text, description=text, parents=[json_too])
    showing.set_defaults(action=actions.with_client(actions.show_transfer))
    showing.add_argument("transfer_id", metavar="TRANSFER_ID")


def _reference(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--reference",
        default="",
        metavar="TEXT",
        help="free text shown on the statement (up to 140 characters)",
    )


def _versioned(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--expected-version",
        type=int,
        metavar="V",
        help="apply only at this version (else ABORTED)",
    )
    _request_id(command)


def _request_id(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--request-id",
        metavar="ID",
        help="the request's id (default: a new uuid4); repeat it to retry",
    )
