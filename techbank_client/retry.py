"""When a failed call is tried again, and how long to wait first.

Only failures that say nothing was decided are retried: UNAVAILABLE for every call, and
DEADLINE_EXCEEDED for commands, whose request id makes a repeat safe (the server answers
a repeated request id with its first answer). Refusals (FAILED_PRECONDITION,
INVALID_ARGUMENT, ABORTED, NOT_FOUND, ...) are answers: trying again would get the same.
"""

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

import grpc

from techbank_client.errors import TechbankError

T = TypeVar("T")
Sleep = Callable[[float], Awaitable[None]]

COMMAND_RETRIES = frozenset({grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED})
QUERY_RETRIES = frozenset({grpc.StatusCode.UNAVAILABLE})


@dataclass(frozen=True)
class RetryPolicy:
    """At most `attempts` tries of a call; before try n+1 a pause of up to
    initial_backoff * multiplier**(n-1), never above max_backoff, jittered down to half so
    that clients failed together do not come back together."""

    attempts: int = 5
    initial_backoff: float = 0.1
    max_backoff: float = 2.0
    multiplier: float = 2.0

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError("attempts must be at least 1")

    def backoff(self, failures: int, rng: Callable[[], float] = random.random) -> float:
        """The pause after `failures` failed tries in a row (1 or more)."""
        ceiling = self.initial_backoff * self.multiplier ** (failures - 1)
        return min(self.max_backoff, ceiling) * (0.5 + rng() / 2)


async def with_retries(
    attempt: Callable[[], Awaitable[T]],
    retryable: frozenset[grpc.StatusCode],
    policy: RetryPolicy,
    sleep: Sleep = asyncio.sleep,
) -> T:
    """`attempt()`'s answer, tried again on a `retryable` failure while the policy allows;
    any other failure, or the last one, raised as a TechbankError."""
    failures = 0
    while True:
        try:
            return await attempt()
        except grpc.aio.AioRpcError as error:
            failures += 1
            if error.code() not in retryable or failures >= policy.attempts:
                raise TechbankError.from_rpc_error(error) from error
        await sleep(policy.backoff(failures))
