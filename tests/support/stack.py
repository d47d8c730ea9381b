"""The real servers of the test stack (started by `infra/stack.sh up`), and scratch
databases and topics on them, so that test runs never see each other's data."""

import asyncio
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pymysql
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import UnknownTopicOrPartitionError
from pymongo import MongoClient

MYSQL_USER = MYSQL_PASSWORD = "techbank"


def mongo_url(database: str = "techbank_test") -> str:
    port = os.environ.get("TECHBANK_MONGO_PORT", "27017")
    return f"mongodb://127.0.0.1:{port}/{database}"


def mysql_port() -> int:
    return int(os.environ.get("TECHBANK_MYSQL_PORT", "3306"))


def mysql_url(database: str = "techbank_test") -> str:
    return (
        f"mysql+aiomysql://{MYSQL_USER}:{MYSQL_PASSWORD}@127.0.0.1:{mysql_port()}"
        f"/{database}?charset=utf8mb4"
    )


def kafka_bootstrap() -> str:
    return f"127.0.0.1:{os.environ.get('TECHBANK_KAFKA_PORT', '9092')}"


def _mysql_admin(statement: str) -> None:
    connection = pymysql.connect(
        host="127.0.0.1", port=mysql_port(), user=MYSQL_USER, password=MYSQL_PASSWORD
    )
    try:
        with connection.cursor() as cursor:
            cursor.execute(statement)
    finally:
        connection.close()


@contextmanager
def scratch_mysql_database(prefix: str) -> Iterator[str]:
    """A new empty MySQL database (the techbank user may create `techbank_*`), then dropped."""
    name = f"techbank_{prefix}_{uuid.uuid4().hex[:12]}"
    _mysql_admin(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    try:
        yield name
    finally:
        _mysql_admin(f"DROP DATABASE IF EXISTS `{name}`")


@contextmanager
def scratch_kafka_topic(prefix: str) -> Iterator[str]:
    """A new topic name; the topic (created by the services) is deleted afterwards, and
    Kafka then drops the consumer group offsets kept for it."""
    name = f"techbank-{prefix}-{uuid.uuid4().hex[:12]}"
    try:
        yield name
    finally:
        asyncio.run(delete_kafka_topic(name))


async def delete_kafka_topic(name: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap())
    await admin.start()
    try:
        await admin.delete_topics([name])
    except UnknownTopicOrPartitionError:
        pass  # never created: the services did not get that far
    finally:
        await admin.close()


@contextmanager
def scratch_mongo_database(prefix: str) -> Iterator[str]:
    name = f"techbank_{prefix}_{uuid.uuid4().hex[:12]}"
    try:
        yield name
    finally:
        client: MongoClient[dict[str, object]] = MongoClient(
            mongo_url(name), serverSelectionTimeoutMS=3000
        )
        with client:
            client.drop_database(name)
