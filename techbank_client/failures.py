"""What `techbank` prints when it fails, always on stderr: a line for people, or with
--json one JSON object, so that stdout holds only answers (a stream's answers before it
broke included) and a program tells a failure by the exit status, then reads why.

    {"error": {"code": "FAILED_PRECONDITION", "reason": "INSUFFICIENT_FUNDS",
               "message": "...", "domain": "techbank.account.v1",
               "metadata": {"accountId": "..."}, "field_violations": []}}

`code` is the gRPC status code's name, null when no call failed (the command line or
its credentials: exit 2); `reason`, `domain` and `metadata` are the server's
google.rpc.ErrorInfo, null and {} when it sent none (no server answered, say)."""

import json
import sys
from typing import Any

from techbank_client.errors import TechbankError
from techbank_client.output import shown


def error_json(error: TechbankError) -> dict[str, Any]:
    return {
        "code": error.code.name,
        "reason": error.reason or None,
        "message": error.message,
        "domain": error.domain or None,
        "metadata": error.metadata,
        "field_violations": [
            {"field": v.field, "description": v.description} for v in error.field_violations
        ],
    }


def no_call_json(message: str) -> dict[str, Any]:
    """An error of the command line itself: no call was made, or none could be."""
    return {
        "code": None,
        "reason": None,
        "message": message,
        "domain": None,
        "metadata": {},
        "field_violations": [],
    }


def report(as_json: bool, error: TechbankError | str) -> None:
    """`error`, a failed call or the command line's own message, on stderr."""
    if as_json:
        fields = error_json(error) if isinstance(error, TechbankError) else no_call_json(error)
        print(json.dumps({"error": fields}), file=sys.stderr)
    else:
        print(f"error: {shown(str(error))}", file=sys.stderr)
