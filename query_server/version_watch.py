"""Waiting for accounts to reach a version: read your own write, without a poll per caller.

Every caller that waits registers what it waits for; one task watches the read model
for all of them. It looks again every `watch_interval_seconds` of the reader, and
reads only when the reader says the read model changed (or it cannot tell, or a new
caller arrived), then with one query for every account awaited. A thousand callers
waiting cost what one does.
"""

import asyncio
import logging
from collections import defaultdict

from bank.account_reader import AccountReader, StoredAccount
from core.errors import DeadlineExceeded

log = logging.getLogger(__name__)
Waiter = tuple[int, "asyncio.Future[StoredAccount]"]


class VersionWatch:
    def __init__(self, reader: AccountReader) -> None:
        self._reader = reader
        self._waiting: dict[str, list[Waiter]] = defaultdict(list)
        self._arrived = False  # a caller registered since the last read
        self._task: asyncio.Task[None] | None = None

    @property
    def waiting(self) -> int:
        return sum(len(waiters) for waiters in self._waiting.values())

    async def wait_for(self, account_id: str, min_version: int, seconds: float) -> StoredAccount:
        """The account once the read model has it at `min_version` or later.

        Raises DeadlineExceeded after `seconds`, and the read model's errors as they come.
        """
        waiter: Waiter = (min_version, asyncio.get_running_loop().create_future())
        self._waiting[account_id].append(waiter)
        self._arrived = True
        if self._task is None:
            self._task = asyncio.create_task(self._watch())
        try:
            return await asyncio.wait_for(asyncio.shield(waiter[1]), seconds)
        except TimeoutError:
            raise DeadlineExceeded(
                f"read model has not reached version {min_version} of account {account_id}",
                reason="VERSION_NOT_REACHED",
                metadata={"accountId": account_id, "minVersion": str(min_version)},
            ) from None
        finally:
            self._forget(account_id, waiter)

    def _forget(self, account_id: str, waiter: Waiter) -> None:
        waiters = self._waiting.get(account_id, [])
        if waiter in waiters:
            waiters.remove(waiter)
        if not waiters:
            self._waiting.pop(account_id, None)

    async def _watch(self) -> None:
        marker: int | None = None
        try:
            while self._waiting:
                current = await self._reader.change_marker()
                if current is None or current != marker or self._arrived:
                    marker, self._arrived = current, False
                    self._settle(await self._reader.find_many(list(self._waiting)))
                await asyncio.sleep(self._reader.watch_interval_seconds)
        except Exception as error:
            self._fail_everyone(error)
        finally:
            self._task = None

    def _settle(self, found: list[StoredAccount]) -> None:
        for account in found:
            for min_version, future in self._waiting.get(account.account_id, []):
                if account.version >= min_version and not future.done():
                    future.set_result(account)

    def _fail_everyone(self, error: Exception) -> None:
        log.warning("watching the read model failed: %r", error)
        for waiters in self._waiting.values():
            for _, future in waiters:
                if not future.done():
                    future.set_exception(error)
