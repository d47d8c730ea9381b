"""Snapshots in a collection beside the events, one document per aggregate (its id the
`_id`): a later snapshot replaces an earlier one. Of two saves at the same moment,
MongoDB keeps the later; FerretDB, whose updates are not atomic, may keep either."""

from typing import Any

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from adapters.mongo.errors import outages_unavailable
from core.aggregate import Snapshot

Document = dict[str, Any]


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
