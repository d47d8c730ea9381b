"""How work reaches what does it: the mediator (each message type has exactly one
registered handler), and turns (work on one key takes turns; work that waits is handed
over together, in order).

The first caller for a key runs its own item at once (no task to start: most keys are
not contended); items that queue meanwhile are handed to a runner for the key, which
hands every item waiting by then, in arrival order, to `run_batch`, and again until none
waits. Each caller gets back its own result, or its own exception. Commands on one
aggregate then queue here instead of racing to the event store, and the ones that queued
while a write was under way are decided and written together in the next."""

import asyncio
from collections.abc import Awaitable, Callable, Sequence
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


I = TypeVar("I")  # noqa: E741  (an item of work)
RunBatch = Callable[[str, list[I]], Awaitable[Sequence[R | BaseException]]]


class Turns(Generic[I, R]):
    def __init__(self, run_batch: RunBatch[I, R], max_batch: int = 256) -> None:
        self._run_batch = run_batch
        self._max_batch = max_batch
        self._waiting: dict[str, list[tuple[I, asyncio.Future[R]]]] = {}
        self._runners: set[asyncio.Task[None]] = set()  # referenced until done

    async def take(self, key: str, item: I) -> R:
        """Queue `item` behind the others for `key`; its result once its turn has run."""
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        if key in self._waiting:
            self._waiting[key].append((item, future))
            return await future
        self._waiting[key] = []
        try:
            await self._hand_over(key, [(item, future)])
        finally:
            if self._waiting[key]:
                runner = asyncio.create_task(self._run(key))
                self._runners.add(runner)
                runner.add_done_callback(self._runners.discard)
            else:
                del self._waiting[key]
        return await future

    async def _run(self, key: str) -> None:
        waiting = self._waiting[key]
        try:
            while waiting:
                batch = waiting[: self._max_batch]
                del waiting[: self._max_batch]
                await self._hand_over(key, batch)
        finally:
            del self._waiting[key]

    async def _hand_over(self, key: str, batch: list[tuple[I, asyncio.Future[R]]]) -> None:
        try:
            results = await self._run_batch(key, [item for item, _ in batch])
            if len(results) != len(batch):
                raise RuntimeError(f"a turn of {len(batch)} got {len(results)} answers")
        except Exception as error:
            results = [error] * len(batch)
        for (_, future), result in zip(batch, results, strict=True):
            if future.done():  # its caller gave up; the work was done or not all the same
                continue
            if isinstance(result, BaseException):
                future.set_exception(result)
            else:
                future.set_result(result)
