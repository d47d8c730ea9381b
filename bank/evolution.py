"""How the bank's events evolved: the upcaster every reader of the event store reads
through (core.upcasting), and the version each event type is written at now.

The rules every change follows are in docs/evolution.md. The history:
- FundsDeposited and FundsWithdrawn, version 2: `reference` (the client's free text)
  and `transfer_id` (the transfer the movement is a step of) were added.
"""

from core.event_store import EventStore
from core.upcasting import Upcaster, UpcastingEventStore


def _movement_v1_to_v2(payload: bytes) -> bytes:
    """A version 1 deposit or withdrawal held `amount_cents` alone. Version 2 adds two
    fields, both empty for what version 1 stored, and adds them as new field numbers
    (the rule that makes this step free): version 1's bytes already are a version 2
    payload with both empty, so they stand as they are."""
    return payload


UPCASTER = Upcaster(
    {
        ("FundsDeposited", 1): _movement_v1_to_v2,
        ("FundsWithdrawn", 1): _movement_v1_to_v2,
    }
)


def in_current_shapes(store: EventStore) -> UpcastingEventStore:
    """`store`, read through the bank's upcaster (once, however often it is asked)."""
    if isinstance(store, UpcastingEventStore):
        return store
    return UpcastingEventStore(store, UPCASTER)
