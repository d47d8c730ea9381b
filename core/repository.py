"""Loads aggregates from their events and saves their new events, then publishes them."""

import dataclasses
import logging
import uuid
from collections import OrderedDict
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Generic, Protocol, TypeVar

from core.aggregate import AggregateRoot, Snapshotting
from core.event_store import EventStore, stream_of
from core.events import DomainEvent, StoredEvent, utc_now
from core.outbox import Outbox
from core.requests import Decision, Refusal, Request, not_stored

log = logging.getLogger(__name__)
A = TypeVar("A", bound=AggregateRoot)
# Called between a successful append and the hand-over to the outbox: a seam for fault
# injection ("the process dies right after the append"), nothing else.
AppendHook = Callable[[list[StoredEvent]], None]
# What one request decided in a turn: how many pending events it raised, or its refusal.
Decided = tuple[Request, int | Refusal]


class EventCodec(Protocol):
    """Turns a domain's events into bytes for the store and the bus, and back."""

    def encode(self, event: DomainEvent) -> tuple[str, bytes]:
        """Return the event's type name and its serialized payload."""

    def schema_version(self, event_type: str) -> int:
        """The version of the payload's shape `encode` writes for `event_type`."""

    def decode(self, event_type: str, payload: bytes) -> DomainEvent:
        """Rebuild an event from its type name and payload."""


class Repository(Generic[A]):
    """The only way the application reads or writes an aggregate.

    The repository keeps a copy of the last state it loaded or saved of each aggregate,
    and hands out copies (AggregateRoot.clone).
    """

    def __init__(
        self,
        store: EventStore,
        outbox: Outbox,
        codec: EventCodec,
        factory: Callable[[str], A],
        aggregate_type: str,
        *,
        clock: Callable[[], datetime] = utc_now,
        after_append: AppendHook | None = None,
        remember: int = 10_000,
        snapshots: Snapshotting[A] | None = None,
    ) -> None:
        self._store = store
        self._outbox = outbox
        self._after_append = after_append
        self._codec = codec
        self._factory = factory
        self._aggregate_type = aggregate_type
        self._clock = clock
        # The last known state of recently used aggregates, least recently used first.
        self._known: OrderedDict[str, A] = OrderedDict()
        self._known_limit = remember
        # Aggregates whose known state another process has moved on from (a save failed).
        self._behind: set[str] = set()
        self._snapshots = snapshots

    @property
    def store(self) -> EventStore:
        return self._store

    def new(self, aggregate_id: str) -> A:
        """An aggregate with no events yet (version 0): what a load of an unknown id is not."""
        return self._factory(aggregate_id)

    async def load(self, aggregate_id: str, *, latest: bool = False) -> A | None:
        """The aggregate as this repository last saw it, or rebuilt from its history; None
        if it has no events, or if its events are another aggregate type's (the store
        records each stream's type: an id of another kind names nothing here).

        A state seen before is trusted without asking the store: another process may have
        moved the aggregate on since, but then saving what was decided on it fails with
        ConcurrencyError, so nothing decided on a stale state is ever stored. The state is
        then known to be behind, and the next load reads only the events stored after it
        (one small read, where forgetting it would cost a snapshot and its segment: with
        several command servers taking one account's commands in turn, that is the common
        case). A decision the store does not check that way (a refusal) must be taken on
        the `latest` state: the events stored since are then read and applied.
        """
        known = self._known.get(aggregate_id)
        if known is not None and not latest and aggregate_id not in self._behind:
            self._known.move_to_end(aggregate_id)  # still recently used
            return known.clone()
        aggregate = known.clone() if known is not None else await self._restore(aggregate_id)
        history = await self._store.load(aggregate_id, after_version=aggregate.version)
        if aggregate.version == 0:
            history = stream_of(history, self._aggregate_type)  # another kind's: none
            if not history:
                return None
        aggregate.replay(self._codec.decode(e.event_type, e.payload) for e in history)
        self._behind.discard(aggregate_id)
        if history or known is None:
            self._remember(aggregate)
        else:
            self._known.move_to_end(aggregate_id)  # still recently used
        return aggregate

    async def _restore(self, aggregate_id: str) -> A:
        """The aggregate as its latest usable snapshot holds it, or with no event yet. A
        snapshot that cannot be read is a cache miss, logged: the events are the truth."""
        if self._snapshots is not None:
            snapshot = await self._store.load_snapshot(aggregate_id)
            try:
                restored = self._snapshots.restore(snapshot)
            except Exception as exc:  # whatever bytes a damaged snapshot holds
                log.warning(
                    "snapshot of %s unreadable (%r); replaying its events", aggregate_id, exc
                )
                restored = None
            if restored is not None:
                return restored
        return self._factory(aggregate_id)

    async def _snapshot_if_due(self, aggregate: A, before: int) -> None:
        """Keep a snapshot if the aggregate's version crossed a multiple of N: a cache, so
        a failure to keep it is logged and costs only the next load's time."""
        if self._snapshots is None or not self._snapshots.due(before, aggregate.version):
            return
        try:
            await self._store.save_snapshot(self._snapshots.take(aggregate))
        except Exception as exc:
            log.warning("snapshot of %s at %d not kept: %r", aggregate.id, aggregate.version, exc)

    def _remember(self, aggregate: A) -> None:
        self._known[aggregate.id] = aggregate.clone()
        self._known.move_to_end(aggregate.id)
        if len(self._known) > self._known_limit:
            forgotten, _ = self._known.popitem(last=False)
            self._behind.discard(forgotten)

    def _fell_behind(self, aggregate_id: str) -> None:
        """Another process moved the aggregate on: its next load reads what it missed."""
        if aggregate_id in self._known:
            self._behind.add(aggregate_id)

    async def save(self, aggregate: A, request: Request) -> list[StoredEvent]:
        """Store the aggregate's pending events as the effect of `request`, a turn of one
        (the one write: see save_in_turn), queued for the bus once stored; the events.

        Raises ConcurrencyError if the aggregate moved on, RequestAlreadyDecided if the
        request was decided before; then nothing is stored.
        """
        version = aggregate.persisted_version
        stored = await self._store_turn(aggregate, [(request, len(aggregate.pending_events))])
        if not stored:
            raise await not_stored(self._store, request, aggregate.id, version)
        return list(stored[0].events)

    async def save_in_turn(self, aggregate: A, decided: Sequence[Decided]) -> int:
        """Store what several requests decided in turn on the aggregate: for each, in order,
        how many of the aggregate's pending events it raised, or its refusal. Returns how
        many were stored, from the first (see EventStore.store_in_turn); their events are
        queued for the bus. The aggregate's new state is remembered if all were.
        """
        return len(await self._store_turn(aggregate, decided))

    async def _store_turn(self, aggregate: A, decided: Sequence[Decided]) -> list[Decision]:
        decisions = self._decisions(aggregate, decided)
        before = aggregate.persisted_version
        stored = await self._store.store_in_turn(decisions, before)
        events = [e for decision in decisions[:stored] for e in decision.events]
        if stored == len(decisions):
            aggregate.mark_saved()
            self._remember(aggregate)
            await self._snapshot_if_due(aggregate, before)
        else:
            self._fell_behind(aggregate.id)
        if events and self._after_append is not None:
            self._after_append(events)
        self._outbox.enqueue(events)
        return decisions[:stored]

    def _decisions(self, aggregate: A, decided: Sequence[Decided]) -> list[Decision]:
        pending = iter(self._to_stored(aggregate, ""))
        decisions, version = [], aggregate.persisted_version
        for request, outcome in decided:
            if isinstance(outcome, Refusal):
                decisions.append(Decision(request, aggregate.id, version, refusal=outcome))
                continue
            events = tuple(
                dataclasses.replace(next(pending), request_id=request.request_id)
                for _ in range(outcome)
            )
            version += outcome
            decisions.append(Decision(request, aggregate.id, version, events))
        return decisions

    def _to_stored(self, aggregate: A, request_id: str) -> list[StoredEvent]:
        now = self._clock()
        stored = []
        for offset, event in enumerate(aggregate.pending_events, start=1):
            event_type, payload = self._codec.encode(event)
            stored.append(
                StoredEvent(
                    event_id=str(uuid.uuid4()),
                    aggregate_id=aggregate.id,
                    aggregate_type=self._aggregate_type,
                    version=aggregate.persisted_version + offset,
                    event_type=event_type,
                    occurred_at=now,
                    request_id=request_id,
                    payload=payload,
                    schema_version=self._codec.schema_version(event_type),
                )
            )
        return stored
