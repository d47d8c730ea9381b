"""A second projector joining the group while the first is inside a batch: both keep
running, and the read model ends equal to the fold of the event store."""

import threading
from pathlib import Path

from harness.processes import ServerProcess
from harness.system import env_beside, running_system
from tests.e2e.helpers import open_account
from tests.faults.helpers import check, deposit, wait_for_log

ASSIGNED = "assigned partitions"


def test_a_projector_joining_mid_batch_stops_no_projector(tmp_path: Path) -> None:
    with running_system("real", tmp_path, {"TECHBANK_FAULT_SLOW_BATCH_SECONDS": "1.5"}) as system:
        accounts = [open_account(system.commands).account_id for _ in range(12)]
        first = system.process("projector")
        wait_for_log(first, ASSIGNED)
        done = threading.Event()

        def keep_depositing() -> None:
            i = 0
            while not done.is_set():
                deposit(system, accounts[i % len(accounts)])
                i += 1

        depositor = threading.Thread(target=keep_depositing)
        depositor.start()
        second = ServerProcess(
            "projector", env_beside(system.env), tmp_path / "second-projector.log"
        )
        try:
            second.start()
            wait_for_log(second, ASSIGNED)  # the group rebalanced while batches were in flight
            done.wait(5)
        finally:
            done.set()
            depositor.join()
        try:
            checked = check(system, settle_seconds=60)
            assert checked.returncode == 0, checked.stdout[-3000:]
            for projector in (first, second):
                assert projector.process is not None
                assert projector.process.poll() is None, projector.log_tail()
        finally:
            second.kill()
