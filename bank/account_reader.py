"""The read model's port on the query side: accounts and their movements as the read
model keeps them.

The projector writes the `accounts` and `movements` tables; this side only reads them.
Each account comes with its version, for read-your-write waits, and its `wire`: the
Account message the API answers with, serialized by the projector, so that answering
copies bytes (a movement likewise).
"""

from abc import ABC, abstractmethod
from collections.abc import Sequence
from enum import Enum
from typing import NamedTuple

from core.errors import Unavailable

NO_READ_MODEL = "the read database holds no Techbank read model yet (its projector creates it)"

UNAVAILABLE_MESSAGE = "the read database is unavailable"


class NoReadModel(Unavailable):
    """The read database is there but its tables are not (yet): the projector creates
    them, never the query side. Answered UNAVAILABLE, as any read model not reachable now."""

    def __init__(self, message: str = NO_READ_MODEL) -> None:
        super().__init__(message)


class Comparison(Enum):
    GREATER_THAN = "GREATER_THAN"
    LESS_THAN = "LESS_THAN"


class StoredAccount(NamedTuple):
    """A tuple, not a dataclass: a page builds a thousand of these, and a frozen
    dataclass costs several times a tuple to build."""

    account_id: str
    version: int
    wire: bytes  # an Account message, framed as an `accounts` element


BalancePosition = tuple[int, str]  # balance_cents and account_id, the balance queries' order


class AccountReader(ABC):
    """Reads accounts from the read model, which may lag behind the event store."""

    # How often a watcher waiting for versions may look again (see VersionWatch).
    watch_interval_seconds = 0.005

    @abstractmethod
    async def find_by_id(self, account_id: str) -> StoredAccount | None:
        """The account with this id, or None if the read model does not have it (yet)."""

    @abstractmethod
    async def find_many(self, account_ids: Sequence[str]) -> list[StoredAccount]:
        """The accounts with these ids that the read model has, in no particular order."""

    async def change_marker(self) -> int | None:
        """A number that differs from the last one whenever the read model has changed
        since; None when that cannot be told cheaply (a watcher then reads anyway)."""
        return None

    # The queries of many accounts answer them framed (StoredAccount.wire), up to `limit`,
    # after a position in their order (None: from the first).

    @abstractmethod
    async def find_by_holder(
        self, holder: str, after_account_id: str | None, limit: int
    ) -> list[bytes]:
        """The accounts whose holder equals `holder` exactly, ordered by account id."""

    @abstractmethod
    async def find_with_balance(
        self,
        comparison: Comparison,
        balance_cents: int,
        after: BalancePosition | None,
        limit: int,
    ) -> list[bytes]:
        """The accounts with a balance strictly above or below, by balance then account id."""

    @abstractmethod
    async def page_after(self, after_account_id: str | None, limit: int) -> list[bytes]:
        """Every account, ordered by account id."""

    @abstractmethod
    async def movements_after(self, account_id: str, after_version: int, limit: int) -> list[bytes]:
        """The account's movements with a version above `after_version`, in version order,
        each framed as a `movements` element of GetAccountStatementResponse."""

    @abstractmethod
    async def ping(self) -> None:
        """Return once the read model has answered a read of its accounts; raise
        (Unavailable, as a rule; NoReadModel while its tables do not exist) when it cannot
        be reached now. Health checks call it every second, so it must be cheap."""

    async def close(self) -> None:
        """Release connections; the reader is not used afterwards."""
