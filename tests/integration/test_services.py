"""The servers the project uses: configured ones as given, else its own, reused."""

from __future__ import annotations

import psycopg2
import pytest
import redis

from kernel.settings import Settings
from kernel.warehouse import connect
from orchestration.runtime.services import EmbeddedPostgres, EmbeddedRedis, resolve_endpoints

pytestmark = pytest.mark.integration


def _settings(database_url: str | None, redis_url: str | None) -> Settings:
    return Settings(database_url, redis_url, None, "https://api.polygon.io", "dev")


def test_configured_servers_are_used_as_given(servers) -> None:
    endpoints = resolve_endpoints(_settings(servers.database_url, servers.redis_url))
    assert endpoints.database_url == servers.database_url
    assert endpoints.redis_url == servers.redis_url
    assert not endpoints.embedded_database and not endpoints.embedded_redis


def test_embedded_servers_start_once_and_are_reused() -> None:
    first = resolve_endpoints(_settings(None, None))
    second = resolve_endpoints(_settings(None, None))
    assert first == second
    assert first.embedded_database and first.embedded_redis
    assert EmbeddedPostgres().running_port() is not None
    assert EmbeddedRedis().running_port() is not None
    with connect(first.database_url) as connection, connection.cursor() as cursor:
        cursor.execute("select current_database()")
        # No POLYGON_API_KEY: the sandbox's database, apart from real data.
        assert cursor.fetchone() == ("tickstock_dev_sandbox",)
    assert redis.Redis.from_url(first.redis_url).ping()


def test_embedded_servers_require_their_password() -> None:
    endpoints = resolve_endpoints(_settings(None, None))
    wrong = endpoints.database_url.replace("tickstock:", "tickstock:wrong", 1)
    with pytest.raises(psycopg2.OperationalError, match="password authentication failed"):
        psycopg2.connect(wrong)
    port = EmbeddedRedis().running_port()
    with pytest.raises(redis.AuthenticationError):
        redis.Redis(host="127.0.0.1", port=port, password="wrong").ping()
