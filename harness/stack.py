"""The real servers of the test stack (started by `infra/stack.sh up`), and scratch
databases and topics on them, so that test runs never see each other's data."""

import asyncio
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import UnknownTopicOrPartitionError
from pymongo import MongoClient

from devtools.read_db_users import READ, WRITE, DbUser, admin_connection, create_user, drop_user

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


@contextmanager
def _mysql_admin() -> Iterator[Any]:
    """A cursor of the techbank user, which may create `techbank_*` databases and users."""
    connection = admin_connection(mysql_url())
    try:
        with connection.cursor() as cursor:
            yield cursor
    finally:
        connection.close()


@contextmanager
def scratch_mysql_database(prefix: str) -> Iterator[str]:
    """A new empty MySQL database, then dropped."""
    name = f"techbank_{prefix}_{uuid.uuid4().hex[:12]}"
    with _mysql_admin() as cursor:
        cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    try:
        yield name
    finally:
        with _mysql_admin() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")


@dataclass(frozen=True)
class ReadDatabase:
    name: str
    writer_url: str  # the projector's: may change the database
    reader_url: str  # the query server's: SELECT only


@contextmanager
def scratch_read_database(prefix: str) -> Iterator[ReadDatabase]:
    """A scratch database with a user that may write it and one that may only read it,
    both with random passwords, dropped afterwards."""
    with scratch_mysql_database(prefix) as name:
        suffix = name.rpartition("_")[2]
        writer = DbUser(f"techbank_writer_{suffix}")
        reader = DbUser(f"techbank_reader_{suffix}")
        try:
            with _mysql_admin() as cursor:
                create_user(cursor, writer, WRITE, name)
                create_user(cursor, reader, READ, name)
            yield ReadDatabase(name, _url_of(writer, name), _url_of(reader, name))
        finally:
            with _mysql_admin() as cursor:
                drop_user(cursor, writer.name)
                drop_user(cursor, reader.name)


def _url_of(user: DbUser, database: str) -> str:
    return user.url("127.0.0.1", mysql_port(), database)


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
