"""What a batch does to the rows it touches, decided the same way by every read model
adapter (bank.read_model says why events that do not follow on wait)."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from bank.read_model import Events
from bank.read_rows import Row, projected


@dataclass(frozen=True)
class Plan:
    """What a batch does to the rows it touches: the new rows, and the gaps."""

    changed: dict[str, tuple[Row | None, Row]]  # account id -> (row before, row after)
    movements: list[Row]  # one per event applied
    gaps: dict[str, int]  # account id -> its row's version


def merged_gaps(plans: Iterable[Plan]) -> dict[str, int]:
    """The gaps of several generations' plans of one batch: each account's from the lowest
    version any of them is at, so that the events loaded fill every generation's gap."""
    gaps: dict[str, int] = {}
    for planned in plans:
        for account_id, version in planned.gaps.items():
            gaps[account_id] = min(version, gaps.get(account_id, version))
    return gaps


def plan(current: Mapping[str, Row | None], events: Events) -> Plan:
    """Apply each account's events that follow on from its current row."""
    changed: dict[str, tuple[Row | None, Row]] = {}
    movements: list[Row] = []
    gaps: dict[str, int] = {}
    for account_id, stream in events.items():
        before = current.get(account_id)
        version = before["version"] if before is not None else 0
        pending = [e for e in stream if e.version > version]
        if not pending:
            continue
        if [e.version for e in pending] != list(range(version + 1, version + 1 + len(pending))):
            gaps[account_id] = version
            continue
        after, moved = projected(before, pending)
        assert after is not None
        changed[account_id] = (before, after)
        movements += moved
    return Plan(changed, movements, gaps)
