"""An account's past, replayed from the event store: its state as of a moment."""

import itertools
from dataclasses import dataclass
from datetime import datetime

from bank.domain.account import BankAccount, unknown_account
from core.event_store import EventStore, stream_of
from core.repository import EventCodec


@dataclass(frozen=True)
class GetBalanceAsOf:
    account_id: str
    as_of: datetime


async def account_as_of(query: GetBalanceAsOf, store: EventStore, codec: EventCodec) -> BankAccount:
    """The account after every event that occurred at or before the moment (the first of
    its events after it ends the replay: a stream's order is its versions'). NotFound if
    it had none by then, or the id is not an account's."""
    history = stream_of(await store.load(query.account_id), BankAccount.AGGREGATE_TYPE)
    until = itertools.takewhile(lambda event: event.occurred_at <= query.as_of, history)
    account = BankAccount(query.account_id)
    account.replay(codec.decode(event.event_type, event.payload) for event in until)
    if account.version == 0:
        raise unknown_account({"asOf": query.as_of.isoformat()})
    return account
