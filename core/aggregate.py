"""The aggregate root: state rebuilt from its events, changed only by raising new ones."""

import copy
from abc import ABC, abstractmethod
from collections.abc import Iterable
from typing import Self

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
