"""No password in a log line or an error message: URLs are described with it hidden."""

import pytest

from adapters.factories import UnsupportedUrl, open_event_bus, open_event_store
from adapters.kafka.bus import KafkaTopic
from adapters.mongo.event_store import MongoEventStore
from adapters.settings import redacted
from core.errors import Unavailable
from harness.processes import free_port

SECRET = "s3cr:et/p@ss"
PLAIN_SECRET = "hunter2"


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (
            f"mysql+aiomysql://reader:{SECRET}@db:3306/techbank?charset=utf8mb4",
            "mysql+aiomysql://reader:***@db:3306/techbank?charset=utf8mb4",
        ),
        (
            f"mongodb://app:{SECRET}@m1:27017,m2:27017/techbank",
            "mongodb://app:***@m1:27017,m2:27017/techbank",
        ),
        (f"kafka://u:{SECRET}@k:9092/topic", "kafka://u:***@k:9092/topic"),
        ("mysql+aiomysql://reader@db/techbank", "mysql+aiomysql://reader@db/techbank"),
        ("mongodb://127.0.0.1:27017/techbank", "mongodb://127.0.0.1:27017/techbank"),
        ("sqlite+aiosqlite:///data/read.db", "sqlite+aiosqlite:///data/read.db"),
        ("inprocess://", "inprocess://"),
    ],
)
def test_a_url_is_shown_without_its_password(url: str, shown: str) -> None:
    assert redacted(url) == shown


async def test_an_unsupported_store_or_bus_is_named_without_its_password() -> None:
    with pytest.raises(UnsupportedUrl) as store:
        await open_event_store(f"oracle://app:{SECRET}@db/techbank")
    with pytest.raises(UnsupportedUrl) as bus:
        await open_event_bus(f"amqp://app:{SECRET}@mq/events", lambda event: b"")
    for refused in (store, bus):
        assert "app:***@" in str(refused.value)
        assert SECRET not in str(refused.value)


def test_a_malformed_kafka_url_is_named_without_its_password() -> None:
    with pytest.raises(ValueError, match=r"u:\*\*\*@") as refused:
        KafkaTopic.from_url(f"kafka://u:{PLAIN_SECRET}@k:9092")
    assert PLAIN_SECRET not in str(refused.value)


async def test_an_unreachable_event_store_is_named_without_its_password() -> None:
    # The URL's own timeout is honoured: the store gives up after 100 ms, not 3 s.
    url = f"mongodb://app:{PLAIN_SECRET}@127.0.0.1:{free_port()}/techbank?serverSelectionTimeoutMS=100"
    with pytest.raises(Unavailable) as unavailable:
        await MongoEventStore.connect(url)
    assert "app:***@127.0.0.1" in str(unavailable.value)
    assert PLAIN_SECRET not in str(unavailable.value)
