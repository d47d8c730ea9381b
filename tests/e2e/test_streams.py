"""Streams that clients walk away from."""

import time

import grpc
import pytest

from harness.system import System
from techbank.account.v1 import queries_pb2
from tests.e2e.helpers import TIMEOUT, open_account, read

CANCELLED_STREAMS = 20


def test_cancelled_streams_leave_no_error_in_the_server_log(system: System) -> None:
    opened = [open_account(system.commands) for _ in range(3)]
    read(system.queries, opened[-1].account_id, 1)  # the real stack projects later
    log = system.process("query_server").log_path
    logged_before = len(log.read_bytes())
    for _ in range(CANCELLED_STREAMS):
        stream = system.queries.FindAllAccounts(
            queries_pb2.FindAllAccountsRequest(page_size=1), timeout=TIMEOUT
        )
        next(stream)
        stream.cancel()
        with pytest.raises(grpc.RpcError) as ended:
            list(stream)
        assert ended.value.code() == grpc.StatusCode.CANCELLED
    time.sleep(1.0)  # the server notices a cancellation on its own schedule
    logged = log.read_bytes()[logged_before:].decode(errors="replace")
    for sign in ("Traceback", "Error", "ERROR", "Exception"):
        assert sign not in logged, logged[-3000:]
