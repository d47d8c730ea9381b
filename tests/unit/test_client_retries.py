"""The client's request ids, deadlines and retries, against a fake server that fails,
stalls or refuses as each test plans (tests/support/fake_techbank.py)."""

import uuid
from collections.abc import AsyncIterator

import grpc
import pytest

from techbank_client import AccountType, Comparison, RetryPolicy, TechbankClient, TechbankError
from tests.support.fake_techbank import FakeTechbank, Refusal, Stall, account, serving

Code = grpc.StatusCode
FAST = RetryPolicy(attempts=4, initial_backoff=0.01, max_backoff=0.02)
DEADLINE = 0.5
ACCOUNT = account(1).account_id


def about(deadline: float) -> float:
    """The most of `deadline` a server may see: gRPC rounds it up on the wire."""
    return deadline * 1.01 + 0.05


@pytest.fixture
def fake() -> FakeTechbank:
    return FakeTechbank(accounts=[account(1)])


@pytest.fixture
async def bank(fake: FakeTechbank) -> AsyncIterator[TechbankClient]:
    async with (
        serving(fake) as address,
        TechbankClient(address, address, deadline=DEADLINE, retry=FAST) as client,
    ):
        yield client


async def test_a_command_failed_with_unavailable_is_retried_with_the_same_request_id(
    fake: FakeTechbank, bank: TechbankClient
) -> None:
    fake.plan = [Code.UNAVAILABLE, Code.UNAVAILABLE]
    result = await bank.deposit(ACCOUNT, 2500)
    assert (result.account_id, result.version) == (ACCOUNT, 2)
    ids = [seen.request_id for seen in fake.seen]
    assert len(ids) == 3 and len(set(ids)) == 1
    assert uuid.UUID(ids[0]).version == 4


async def test_a_command_that_timed_out_is_retried_with_the_same_request_id(
    fake: FakeTechbank, bank: TechbankClient
) -> None:
    fake.plan = [Stall()]
    await bank.withdraw(ACCOUNT, 500, request_id="mine-1")
    assert [seen.request_id for seen in fake.seen] == ["mine-1", "mine-1"]


async def test_every_command_is_a_new_request_unless_the_caller_names_it(
    fake: FakeTechbank, bank: TechbankClient
) -> None:
    await bank.open_account("Ada", AccountType.SAVINGS)
    await bank.close_account(ACCOUNT)
    await bank.close_account(ACCOUNT, request_id="named")
    first, second, named = (seen.request_id for seen in fake.seen)
    assert first != second and named == "named"


async def test_retries_stop_after_the_policy_s_attempts(
    fake: FakeTechbank, bank: TechbankClient
) -> None:
    fake.plan = [Code.UNAVAILABLE] * 10
    with pytest.raises(TechbankError) as raised:
        await bank.deposit(ACCOUNT, 1)
    assert raised.value.code == Code.UNAVAILABLE
    assert len(fake.seen) == FAST.attempts


@pytest.mark.parametrize(
    "code",
    [
        Code.FAILED_PRECONDITION,
        Code.INVALID_ARGUMENT,
        Code.ABORTED,
        Code.NOT_FOUND,
        Code.RESOURCE_EXHAUSTED,
        Code.PERMISSION_DENIED,
        Code.INTERNAL,
    ],
)
async def test_refusals_are_never_retried(
    fake: FakeTechbank, bank: TechbankClient, code: Code
) -> None:
    fake.plan = [Refusal(code, "SOME_REASON")]
    with pytest.raises(TechbankError) as raised:
        await bank.withdraw(ACCOUNT, 1)
    assert (raised.value.code, raised.value.reason, len(fake.seen)) == (code, "SOME_REASON", 1)


async def test_a_query_that_timed_out_is_not_retried(
    fake: FakeTechbank, bank: TechbankClient
) -> None:
    fake.plan = [Stall()]
    with pytest.raises(TechbankError) as raised:
        await bank.get_account(ACCOUNT, min_version=3)
    assert raised.value.code == Code.DEADLINE_EXCEEDED
    assert len(fake.seen) == 1


async def test_a_query_failed_with_unavailable_is_retried(
    fake: FakeTechbank, bank: TechbankClient
) -> None:
    fake.plan = [Code.UNAVAILABLE, Code.UNAVAILABLE]
    assert (await bank.get_account(ACCOUNT)).account_id == ACCOUNT
    assert len(fake.seen) == 3


async def test_every_call_carries_a_deadline(fake: FakeTechbank, bank: TechbankClient) -> None:
    await bank.open_account("Ada", AccountType.CURRENT, 100)
    await bank.deposit(ACCOUNT, 1)
    await bank.withdraw(ACCOUNT, 1)
    await bank.close_account(ACCOUNT)
    await bank.get_account(ACCOUNT)
    assert [a.account_id async for a in bank.find_by_holder("Ada")] == [ACCOUNT]
    assert [a async for a in bank.find_with_balance(Comparison.LESS_THAN, 1)] != []
    assert [a.account_id async for a in bank.all_accounts(deadline=30)] == [ACCOUNT]
    remaining = [seen.time_remaining for seen in fake.seen]
    assert all(r is not None and 0 < r <= about(DEADLINE) for r in remaining[:-1]), remaining
    assert remaining[-1] is not None and DEADLINE < remaining[-1] <= about(30)


async def test_a_call_may_set_its_own_deadline(fake: FakeTechbank, bank: TechbankClient) -> None:
    await bank.deposit(ACCOUNT, 1, deadline=3.0)
    (seen,) = fake.seen
    assert seen.time_remaining is not None and DEADLINE < seen.time_remaining <= about(3.0)


def test_the_backoff_grows_exponentially_up_to_its_bound_and_is_jittered_down() -> None:
    policy = RetryPolicy(attempts=8, initial_backoff=0.1, max_backoff=1.0, multiplier=2.0)
    assert [policy.backoff(n, rng=lambda: 1.0) for n in range(1, 6)] == pytest.approx(
        [0.1, 0.2, 0.4, 0.8, 1.0]
    )
    assert [policy.backoff(n, rng=lambda: 0.0) for n in range(1, 6)] == pytest.approx(
        [0.05, 0.1, 0.2, 0.4, 0.5]
    )


async def test_each_try_of_an_account_command_names_the_account_for_a_routing_proxy(
    fake: FakeTechbank, bank: TechbankClient
) -> None:
    fake.plan = [Code.UNAVAILABLE]
    await bank.deposit(ACCOUNT, 1)
    await bank.withdraw(ACCOUNT, 1)
    await bank.close_account(ACCOUNT)
    opened = await bank.open_account("Ada", AccountType.SAVINGS)
    assert [seen.routing for seen in fake.seen] == [ACCOUNT] * 4 + [""]
    assert opened.account_id  # a new account has no server to be routed to yet
