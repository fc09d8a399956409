"""Shared fixtures: real Postgres and Redis (configured, or the project's own)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis

from kernel.settings import read_settings
from orchestration.runtime.services import (
    EmbeddedPostgres,
    Endpoints,
    resolve_endpoints,
    stop_embedded,
)
from tests.support.databases import throwaway_database
from tests.support.private_redis import PrivateRedis


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


@pytest.fixture
def fresh_database(servers: Endpoints) -> Iterator[str]:
    with throwaway_database(servers.database_url) as url:
        yield url


@pytest.fixture
def private_redis() -> Iterator[PrivateRedis]:
    """A Redis of the test's own (tests that stop, stall or reconfigure a server)."""
    server = PrivateRedis()
    server.start()
    yield server
    server.stop()
