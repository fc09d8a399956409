"""Shared fixtures: real Postgres and Redis (configured, or the project's own)."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit

import psycopg2
import pytest
import redis

from orchestration.services import EmbeddedPostgres, Endpoints, resolve_endpoints, stop_embedded
from orchestration.settings import read_settings


@pytest.fixture(scope="session")
def servers() -> Iterator[Endpoints]:
    """The servers under test: TICKSTOCK_*_URL when set, else the embedded ones.

    Embedded servers the suite had to start are stopped at the end; ones that
    were already running (say, for `make eod`) are left as they were.
    """
    already_running = EmbeddedPostgres().running_port() is not None
    endpoints = resolve_endpoints(read_settings())
    yield endpoints
    if endpoints.embedded_database and not already_running:
        stop_embedded()


@pytest.fixture(scope="session")
def redis_client(servers: Endpoints) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(servers.redis_url)
    yield client
    client.close()


@contextlib.contextmanager
def throwaway_database(server_url: str) -> Iterator[str]:
    """A new, empty database on the server of `server_url`, dropped afterwards."""
    name = f"tickstock_test_{uuid.uuid4().hex[:10]}"
    admin = psycopg2.connect(server_url)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'create database "{name}"')
    try:
        yield urlsplit(server_url)._replace(path=f"/{name}").geturl()
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'drop database if exists "{name}" with (force)')
        admin.close()


@pytest.fixture
def fresh_database(servers: Endpoints) -> Iterator[str]:
    with throwaway_database(servers.database_url) as url:
        yield url
