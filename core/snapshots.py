"""Snapshots: an aggregate's state at one version, kept beside its events so that loading
it reads only the events after that version.

A snapshot is a cache, never the truth: the events are. So it is taken after the events
it folds are stored, a failure to keep one costs nothing but time, and a snapshot whose
`schema` is not the one the code writes now (the state's shape changed) is ignored and,
in time, replaced.
"""

from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from core.aggregate import AggregateRoot

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
