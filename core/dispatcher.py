"""The mediator: each message type has exactly one registered handler."""

from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar, cast

M = TypeVar("M")
R = TypeVar("R")
A = TypeVar("A")

Handler = Callable[[Any], Awaitable[R]]


class Query(Generic[A]):
    """A question whose handler answers an A: `Dispatcher.ask` returns that type, for a
    dispatcher whose handlers answer different types."""


class HandlerNotFound(LookupError):
    """A message was sent whose type has no registered handler: a wiring mistake."""


class DuplicateHandler(ValueError):
    """A second handler was registered for a message type that already has one."""


class Dispatcher(Generic[R]):
    """Sends a command or query to the one handler registered for its type."""

    def __init__(self) -> None:
        self._handlers: dict[type[Any], Handler[R]] = {}

    def register(self, message_type: type[M], handler: Callable[[M], Awaitable[R]]) -> None:
        if message_type in self._handlers:
            raise DuplicateHandler(f"{message_type.__name__} already has a handler")
        self._handlers[message_type] = handler

    async def send(self, message: object) -> R:
        handler = self._handlers.get(type(message))
        if handler is None:
            raise HandlerNotFound(f"no handler registered for {type(message).__name__}")
        return await handler(message)

    async def ask(self, query: Query[A]) -> A:
        """`send`, typed by the query: its handler was registered to answer an A."""
        return cast(A, await self.send(query))
