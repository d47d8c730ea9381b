"""Handlers of the transfer messages, registered on the transfer side's mediator."""

import asyncio
from dataclasses import dataclass
from functools import partial

from bank.domain.commands import TransferFunds
from bank.domain.transfer import Transfer
from command_server.transfers import TransferProcess
from core.deadline import seconds_left
from core.dispatcher import Dispatcher

# Kept back from the caller's deadline to answer PENDING before it passes.
ANSWER_MARGIN_SECONDS = 0.25


@dataclass(frozen=True)
class GetTransfer:
    transfer_id: str


async def transfer_funds(command: TransferFunds, process: TransferProcess) -> Transfer:
    """Record the transfer (once per request), drive it, and answer how it stands when it
    has ended or the caller's deadline is near; the driving goes on either way."""
    transfer_id = await process.request(command)
    driving = process.drive(transfer_id)
    done, _ = await asyncio.wait({driving}, timeout=max(seconds_left() - ANSWER_MARGIN_SECONDS, 0))
    if done and driving.exception() is None:
        return driving.result()
    # Not ended yet, or its driving stopped short (logged; the bus takes it up again or
    # parks it): the transfer as it stands.
    return await process.get(transfer_id)


async def get_transfer(query: GetTransfer, process: TransferProcess) -> Transfer:
    return await process.get(query.transfer_id)


def register_transfer_handlers(dispatcher: Dispatcher[Transfer], process: TransferProcess) -> None:
    dispatcher.register(TransferFunds, partial(transfer_funds, process=process))
    dispatcher.register(GetTransfer, partial(get_transfer, process=process))
