"""Shared fixtures: real Postgres and Redis (configured, or the project's own)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit

import psycopg2
import pytest
import redis

from orchestration.services import Endpoints, resolve_endpoints
from orchestration.settings import read_settings


@pytest.fixture(scope="session")
def servers() -> Endpoints:
    """The servers under test: TICKSTOCK_*_URL when set, else the embedded ones."""
    return resolve_endpoints(read_settings())


@pytest.fixture(scope="session")
def redis_client(servers: Endpoints) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(servers.redis_url)
    yield client
    client.close()


def _admin(database_url: str) -> psycopg2.extensions.connection:
    connection = psycopg2.connect(database_url)
    connection.autocommit = True
    return connection


@pytest.fixture
def fresh_database(servers: Endpoints) -> Iterator[str]:
    """A new, empty database on the server under test, dropped afterwards."""
    name = f"tickstock_test_{uuid.uuid4().hex[:10]}"
    admin = _admin(servers.database_url)
    with admin.cursor() as cursor:
        cursor.execute(f'create database "{name}"')
    url = urlsplit(servers.database_url)._replace(path=f"/{name}").geturl()
    try:
        yield url
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'drop database if exists "{name}" with (force)')
        admin.close()
