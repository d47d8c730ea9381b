"""What the MongoDB event store keeps, as documents: each event (with its request's
record on the request's first event), each refusal, and each aggregate's snapshot.

An unpublished event carries outbox: "pending", removed once the bus has it: a string
equality, not a boolean, because FerretDB pushes string equality down to its backend's
index, so the sweep's query stays cheap however many events are stored.

Snapshots are in a collection beside the events, one document per aggregate (its id the
`_id`): a later snapshot replaces an earlier one. Of two saves at the same moment,
MongoDB keeps the later; FerretDB, whose updates are not atomic, may keep either."""

import uuid
from datetime import UTC, datetime
from typing import Any

from bson import Binary
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from adapters.mongo.errors import outages_unavailable
from adapters.mongo.feed import FEED
from adapters.mongo.segments import SEGMENT, segment_of
from core.aggregate import Snapshot
from core.events import STORED_FIELDS, StoredEvent
from core.requests import Decision, Outcome, Refusal, Request

Document = dict[str, Any]
OUTBOX, PENDING = "outbox", "pending"
# Fields stored under their own names; payload is Binary.
DOCUMENT_FIELDS = [name for name in STORED_FIELDS if name != "payload"]


class MongoSnapshots:
    def __init__(self, collection: AsyncCollection[Document]) -> None:
        self._collection = collection

    async def save(self, snapshot: Snapshot) -> None:
        """Replace an older snapshot, or insert the first. The upsert's insert is refused
        as a duplicate when the document exists but is not older, or when another writer
        inserted it meanwhile (perhaps older): then replace it if it is older."""
        state = {"version": snapshot.version, "schema": snapshot.schema, "state": snapshot.state}
        older = {"_id": snapshot.aggregate_id, "version": {"$lt": snapshot.version}}
        with outages_unavailable():
            try:
                await self._collection.update_one(older, {"$set": state}, upsert=True)
            except DuplicateKeyError:
                await self._collection.update_one(older, {"$set": state})

    async def load(self, aggregate_id: str) -> Snapshot | None:
        with outages_unavailable():
            doc = await self._collection.find_one({"_id": aggregate_id})
        if doc is None:
            return None
        return Snapshot(aggregate_id, int(doc["version"]), doc["schema"], bytes(doc["state"]))


def document_of(decision: Decision) -> Document:
    """The one document of a decision: its event with the request's record, or its refusal."""
    if decision.refusal is not None:
        return refusal_document(
            decision.request, decision.aggregate_id, decision.version, decision.refusal
        )
    return to_document(decision.events[0]) | request_fields(decision.request, 1)


def refusal_document(
    request: Request, aggregate_id: str, version: int, refusal: Refusal
) -> Document:
    return {
        "_id": f"refusal {uuid.uuid4().hex}",
        **request_fields(request, 0),
        "refused_aggregate_id": aggregate_id,
        "refused_at_version": version,
        "refusal_kind": refusal.kind,
        "refusal_message": refusal.message,
        "decided_at": datetime.now(UTC),
    }


def slot_of(request_key: str) -> str:
    """The `request` value of a request's record. Other events of a multi-event request
    hold "e:<_id>" there, which no request key's slot can equal."""
    return f"r:{request_key}"


def request_fields(request: Request, event_count: int) -> Document:
    return {
        "request": slot_of(request.key),
        "fingerprint": request.fingerprint,
        "request_events": event_count,
    }


def outcome_of(doc: Document) -> Outcome:
    if "refusal_kind" in doc:
        refusal = Refusal(doc["refusal_kind"], doc["refusal_message"])
        return Outcome(
            doc["fingerprint"], doc["refused_aggregate_id"], doc["refused_at_version"], refusal
        )
    last_version = doc["version"] + doc["request_events"] - 1
    return Outcome(doc["fingerprint"], doc["aggregate_id"], last_version)


def to_document(event: StoredEvent) -> Document:
    position = f"{event.aggregate_id}#{event.version}"
    return {
        **{name: getattr(event, name) for name in STORED_FIELDS},
        "_id": position,
        "request": f"e:{position}",
        SEGMENT: segment_of(event.aggregate_id, event.version),
        "payload": Binary(event.payload),
        OUTBOX: PENDING,
        FEED: PENDING,  # until the event has its place in the feed (adapters.mongo.feed)
    }


def from_document(doc: Document) -> StoredEvent:
    fields = {name: doc[name] for name in DOCUMENT_FIELDS if name in doc}
    return StoredEvent(**fields, payload=bytes(doc["payload"]))
