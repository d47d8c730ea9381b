"""The read model's port on the projector's side: the accounts and movements tables, as
they are written. An applied event changes its account's row and adds its movement, in
the same transaction.

Each row keeps the version of the last event applied to it. A batch is applied in one
transaction that reads the rows it changes under lock (another projector or a restore
may be writing them too) and applies to each only the events that follow on from its
version: an event at or below it is a duplicate and skipped. Events that do not follow
on (a gap: some were missed) make the whole batch wait: nothing is written, and the
caller is told where each such row stands, to fetch what is missing and try again.

What a batch does to the rows it touches (`plan`) is decided here, the same way for
every adapter.
"""

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from bank.read_rows import Projected, Row, projected
from core.events import StoredEvent

Events = Mapping[str, Sequence[StoredEvent]]  # account id -> its events, in version order
RowsNow = Callable[[Sequence[str]], Awaitable[Mapping[str, Projected]]]


class Generations(NamedTuple):
    """The generation the queries read, and the one a rebuild is building (None: no
    rebuild under way); see adapters.sql.read_generations."""

    live: int
    building: int | None


@dataclass(frozen=True)
class Position:
    """How far the projector has read its topic: partition -> offset of the next record."""

    topic: str
    offsets: Mapping[int, int]


class ReadModel(ABC):
    @abstractmethod
    async def apply(self, events: Events, position: Position | None = None) -> dict[str, int]:
        """Apply each account's events that follow on from its row, and record `position`
        (offsets only move forward), in one transaction.

        Returns the accounts whose events do not follow on, each with its row's version
        (0: no row); then nothing was written.
        """

    @abstractmethod
    async def versions(self, account_ids: Sequence[str]) -> dict[str, int]:
        """The version of each of these accounts that has a row (in the live generation;
        so too `rows` and `movements`)."""

    @abstractmethod
    async def rebuild(
        self, account_ids: Sequence[str], rows_now: RowsNow, generation: int | None = None
    ) -> None:
        """Replace these accounts' rows and movements in `generation` (None: the live one)
        with what `rows_now(account_ids)` gives (a row of None: none), in one transaction
        that holds the rows from before it asks until it commits: nothing is written to
        them in between, so the new rows are never older than anything a projector wrote."""

    @abstractmethod
    async def generations(self) -> Generations:
        """The live generation, and the one being built."""

    @abstractmethod
    async def begin_generation(self) -> int:
        """Create the next generation's tables, empty, and have every batch from now on
        write it too (a batch under way is waited for); its number. A generation left
        being built by a rebuild that stopped is dropped first."""

    @abstractmethod
    async def switch_to(self, generation: int) -> int:
        """Make the generation being built the live one, at once for every later query
        and batch; the generation that was live, which batches no longer write."""

    @abstractmethod
    async def drop_generation(self, generation: int) -> None:
        """Drop a generation that is neither live nor being built."""

    @abstractmethod
    def rows(self) -> AsyncIterator[Row]:
        """Every row, in account id order."""

    @abstractmethod
    async def movements(self, account_ids: Sequence[str]) -> dict[str, list[Row]]:
        """These accounts' movements, each account's in version order (none: absent)."""

    @abstractmethod
    async def offsets(self, topic: str) -> dict[int, int]:
        """The position recorded for `topic`: partition -> offset of the next record."""

    async def close(self) -> None:
        """Release connections; the read model is not used afterwards."""


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
