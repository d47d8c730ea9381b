"""Single-document inserts that wait while one round trip is under way go together.

Many commands in flight each insert one document (an event, or a refusal). Sent one
by one, each costs a round trip to the server; here, the documents that queued while
the last insert_many was under way go in the next one, unordered: the server stores
each that it can, and reports the others by index, so each caller learns the fate of
its own document only.
"""

import asyncio
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError

from adapters.mongo.errors import outages_unavailable

Document = dict[str, Any]
DUPLICATE_KEY = 11000
MAX_GROUP = 1000
Waiting = list[tuple[Document, "asyncio.Future[None]"]]


class DocumentRefused(Exception):
    """The server refused this document: its `code` says why (11000: a duplicate key)."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


class GroupedInserts:
    def __init__(self, collection: AsyncCollection[Document]) -> None:
        self._collection = collection
        self._waiting: Waiting = []
        self._sending: asyncio.Task[None] | None = None

    async def insert(self, document: Document) -> None:
        """Insert the document with the others waiting; DocumentRefused if the server would
        not take it, Unavailable if the server could not be asked."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((document, future))
        if self._sending is None:
            self._sending = asyncio.create_task(self._send_waiting())
        await future

    async def close(self) -> None:
        while self._sending is not None:
            await asyncio.shield(self._sending)

    async def _send_waiting(self) -> None:
        try:
            while self._waiting:
                group, self._waiting = self._waiting[:MAX_GROUP], self._waiting[MAX_GROUP:]
                for (_, future), outcome in zip(group, await self._send(group), strict=True):
                    if future.done():
                        continue
                    if outcome is None:
                        future.set_result(None)
                    else:
                        future.set_exception(outcome)
        finally:
            self._sending = None

    async def _send(
        self, group: list[tuple[Document, asyncio.Future[None]]]
    ) -> list[Exception | None]:
        try:
            with outages_unavailable():
                try:
                    await self._collection.insert_many([doc for doc, _ in group], ordered=False)
                except BulkWriteError as error:
                    return _refusals(error, len(group))
        except Exception as error:
            return [error] * len(group)
        return [None] * len(group)


def _refusals(error: BulkWriteError, count: int) -> list[Exception | None]:
    """Each document's refusal, from an unordered insert_many's report."""
    if error.details.get("writeConcernErrors"):
        raise error  # nothing is known to be durable: an outage for all
    outcomes: list[Exception | None] = [None] * count
    for refused in error.details.get("writeErrors", []):
        outcomes[refused["index"]] = DocumentRefused(refused["code"], refused.get("errmsg", ""))
    return outcomes


# FerretDB 1.24 runs an ordered insert in batches of 100 documents and stops only the
# batch where a document is refused: later batches go in all the same, after the gap
# (inserting 250 documents with the 100th refused stores 1-99 and 201-250 there).
# So an insert whose order matters sends at most this many documents at a time.
ORDERED_BATCH = 100


class InsertStopped(Exception):
    """An ordered insert stopped at a refused document: `inserted` went in before it,
    refused with `code` (11000: a duplicate key)."""

    def __init__(self, inserted: int, code: int) -> None:
        super().__init__(f"stopped after {inserted} document(s), code {code}")
        self.inserted, self.code = inserted, code


async def insert_in_order(collection: AsyncCollection[Document], documents: list[Document]) -> None:
    """Insert `documents` in order, none after the first refused (InsertStopped)."""
    for start in range(0, len(documents), ORDERED_BATCH):
        try:
            with outages_unavailable():
                await collection.insert_many(documents[start : start + ORDERED_BATCH], ordered=True)
        except BulkWriteError as error:
            if error.details.get("writeConcernErrors"):
                raise  # nothing is known to be durable: an outage for all
            first = error.details["writeErrors"][0]
            raise InsertStopped(start + int(first["index"]), int(first["code"])) from error
