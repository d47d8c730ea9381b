"""`techbank-admin parked list|retry`: the events the bus's consumers set aside.

A consumer (the projection, the transfer process, the outbox) that fails on an event
for a reason no retry mends parks it, with its error, and goes on with every other
aggregate; the aggregate's later events wait behind it. `list` shows what is parked,
oldest aggregate first; `retry`, once the cause is mended (a newer release deployed, a
damaged event restored), asks each consumer's own process to try the parked events
again: within a few seconds they are applied and forgotten, or parked again with the
new error.
"""

import argparse
import json
import sys

from adapters.command_line import Tool
from adapters.factories import open_parked_events
from adapters.settings import Settings
from adapters.sql.errors import check_can_exist
from core.parking import ParkedEvent

FIELDS = ("consumer", "aggregate_type", "aggregate_id", "version", "event_type")


def _arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="show the parked events and their errors")
    listing.add_argument("--json", action="store_true", help="one JSON object per line")
    retry = actions.add_parser("retry", help="ask for the parked events to be tried again")
    for action in (listing, retry):
        action.add_argument("--consumer", help="only this consumer's (projection, ...)")
    retry.add_argument("--aggregate", help="only the events of this aggregate id")


async def _run(args: argparse.Namespace) -> int:
    url = Settings().event_store_url
    check_can_exist("TECHBANK_EVENT_STORE_URL", url)  # a folder mistyped is no new store
    parked = await open_parked_events(url)
    try:
        if args.action == "list":
            _show(await parked.parked(args.consumer), args.json)
        else:
            asked = await parked.ask_retry(args.consumer, args.aggregate)
            print(f"asked {asked} parked event(s) to be tried again by their consumers")
    finally:
        await parked.close()
    return 0


def _show(events: list[ParkedEvent], as_json: bool) -> None:
    for event in events:
        if as_json:
            fields = {**event.__dict__, "parked_at": event.parked_at.isoformat()}
            print(json.dumps(fields, sort_keys=True))
        else:
            where = " ".join(str(getattr(event, name)) for name in FIELDS)
            asked = " (retry asked)" if event.retry_asked else ""
            print(f"{where} at {event.parked_at.isoformat()}{asked}: {event.error}")
    if not as_json:
        print(f"{len(events)} parked event(s)", file=sys.stderr)


TOOL = Tool("parked", "admin.parked", __doc__, _arguments, _run)

if __name__ == "__main__":
    sys.exit(TOOL.main())
