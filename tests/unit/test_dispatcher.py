from dataclasses import dataclass

import pytest

from core.dispatcher import Dispatcher, DuplicateHandler, HandlerNotFound


@dataclass(frozen=True)
class Ping:
    text: str


@dataclass(frozen=True)
class Unregistered:
    pass


async def echo(message: Ping) -> str:
    return f"pong {message.text}"


async def test_send_reaches_the_registered_handler() -> None:
    dispatcher: Dispatcher[str] = Dispatcher()
    dispatcher.register(Ping, echo)
    assert await dispatcher.send(Ping("hi")) == "pong hi"


async def test_sending_a_type_without_handler_is_a_clear_error() -> None:
    dispatcher: Dispatcher[str] = Dispatcher()
    with pytest.raises(HandlerNotFound, match="no handler registered for Unregistered"):
        await dispatcher.send(Unregistered())


def test_registering_a_second_handler_for_a_type_is_refused() -> None:
    dispatcher: Dispatcher[str] = Dispatcher()
    dispatcher.register(Ping, echo)
    with pytest.raises(DuplicateHandler, match="Ping"):
        dispatcher.register(Ping, echo)
