"""The aggregate root: state rebuilt from its events, changed only by raising new ones.

Snapshots: an aggregate's state at one version, kept beside its events so that loading
it reads only the events after that version.

A snapshot is a cache, never the truth: the events are. So it is taken after the events
it folds are stored, a failure to keep one costs nothing but time, and a snapshot whose
`schema` is not the one the code writes now (the state's shape changed) is ignored and,
in time, replaced.
"""

import copy
from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Generic, Protocol, Self, TypeVar

from core.events import DomainEvent


class AggregateRoot(ABC):
    """Consistency boundary whose state is the fold of its events.

    A subclass decides in its command methods, calls `_raise` with the event that
    records the decision, and changes state only in `_apply`, by assigning attributes
    new values (never changing a value in place): copies then share nothing that
    either can change (see `clone`).
    """

    def __init__(self, aggregate_id: str) -> None:
        self.id = aggregate_id
        self.version = 0
        self._pending: list[DomainEvent] = []

    @abstractmethod
    def _apply(self, event: DomainEvent) -> None:
        """Change state to reflect one event; never fails, never decides."""

    def _raise(self, event: DomainEvent) -> None:
        self._apply(event)
        self.version += 1
        self._pending.append(event)

    def replay(self, history: Iterable[DomainEvent]) -> None:
        """Rebuild state from past events, in order."""
        for event in history:
            self._apply(event)
            self.version += 1

    @property
    def pending_events(self) -> list[DomainEvent]:
        """Events raised since the aggregate was loaded or last saved."""
        return list(self._pending)

    @property
    def persisted_version(self) -> int:
        """The version the event store holds: the current one less the pending events."""
        return self.version - len(self._pending)

    def clone(self: Self) -> Self:
        """An independent copy: a shallow one, which the rule above makes enough."""
        twin = copy.copy(self)
        twin._pending = list(self._pending)
        return twin

    def mark_saved(self) -> None:
        self._pending.clear()


A = TypeVar("A", bound=AggregateRoot)


@dataclass(frozen=True)
class Snapshot:
    aggregate_id: str
    version: int  # of the last event folded into `state`
    schema: str  # the state's shape: the snapshot is used only by code that writes it too
    state: bytes


class SnapshotCodec(Protocol[A]):
    """Turns an aggregate's state into bytes and back, under one schema name."""

    @property
    def schema(self) -> str:
        """The name of the state's shape; change it whenever the shape changes."""

    def encode(self, aggregate: A) -> bytes:
        """The aggregate's state (not its pending events)."""

    def decode(self, aggregate_id: str, version: int, state: bytes) -> A:
        """The aggregate at `version`, as `encode` saw it."""


@dataclass(frozen=True)
class Snapshotting(Generic[A]):
    """Take a snapshot each time an aggregate's version crosses a multiple of `every`."""

    codec: SnapshotCodec[A]
    every: int

    def due(self, before: int, after: int) -> bool:
        """Whether saving from version `before` to `after` crossed a multiple of `every`."""
        return self.every > 0 and after // self.every > before // self.every

    def take(self, aggregate: A) -> Snapshot:
        return Snapshot(
            aggregate.id, aggregate.version, self.codec.schema, self.codec.encode(aggregate)
        )

    def restore(self, snapshot: Snapshot | None) -> A | None:
        """The aggregate the snapshot holds, or None if there is none of this schema."""
        if snapshot is None or snapshot.schema != self.codec.schema:
            return None
        return self.codec.decode(snapshot.aggregate_id, snapshot.version, snapshot.state)
