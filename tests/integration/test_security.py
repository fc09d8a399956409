"""`tickstock db grant-reader`: TickStock's role reads the marts and nothing else."""

from __future__ import annotations

import stat
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import psycopg2
import pytest
import redis

from kernel.warehouse import connect
from orchestration.jobs.security import ReaderRefused, grant_reader, grant_redis_consumer
from orchestration.runtime.services import EmbeddedPostgres, ServiceError, write_private
from tests.support.cli import cli_env, run_cli
from tests.support.private_redis import PrivateRedis

pytestmark = pytest.mark.integration

# Roles belong to the server, not the database: one name per test run.
ROLE = f"tickstock_reader_{uuid.uuid4().hex[:8]}"


def _as(url: str, role: str, password: str) -> str:
    parts = urlsplit(url)
    netloc = f"{role}:{password}@{parts.hostname}:{parts.port or 5432}"
    return parts._replace(netloc=netloc).geturl()


@pytest.fixture
def warehouse(fresh_database: str):
    with connect(fresh_database) as connection, connection.cursor() as cursor:
        cursor.execute(
            "create schema marts; create schema raw_polygon; create schema lifecycle;"
            "create table marts.symbols (symbol text primary key);"
            "insert into marts.symbols values ('AAPL');"
            "create table raw_polygon.tickers (ticker text);"
            "create table lifecycle.symbol_lifecycle (symbol text);"
        )
    yield fresh_database
    with connect(fresh_database) as connection, connection.cursor() as cursor:
        cursor.execute("select 1 from pg_roles where rolname = %s", (ROLE,))
        if cursor.fetchone():
            cursor.execute(f"drop owned by {ROLE}; drop role {ROLE}")


def _fails(url: str, sql: str) -> str:
    with connect(url) as connection, connection.cursor() as cursor:
        try:
            cursor.execute(sql)
        except psycopg2.Error as error:
            return type(error).__name__
    return "succeeded"


def test_reader_selects_marts_only_and_cannot_write(warehouse: str) -> None:
    grant_reader(warehouse, ROLE, "reader-pw-123")
    grant_reader(warehouse, ROLE, "reader-pw-123")  # idempotent
    reader = _as(warehouse, ROLE, "reader-pw-123")

    with connect(reader) as connection, connection.cursor() as cursor:
        cursor.execute("select symbol from marts.symbols")
        assert cursor.fetchall() == [("AAPL",)]

    assert _fails(reader, "insert into marts.symbols values ('MSFT')") == "ReadOnlySqlTransaction"
    assert _fails(reader, "select * from raw_polygon.tickers") == "InsufficientPrivilege"
    assert _fails(reader, "select * from lifecycle.symbol_lifecycle") == "InsufficientPrivilege"
    assert _fails(reader, "create table marts.x (a int)") == "ReadOnlySqlTransaction"
    # Even outside read-only transactions, the role holds no write privilege.
    assert (
        _fails(reader, "set transaction read write; delete from marts.symbols")
        == "InsufficientPrivilege"
    )


def test_tables_dbt_creates_later_are_readable(warehouse: str) -> None:
    grant_reader(warehouse, ROLE, "reader-pw-123")
    with connect(warehouse) as connection, connection.cursor() as cursor:
        cursor.execute("create table marts.ohlcv_daily (symbol text)")
        cursor.execute("insert into marts.ohlcv_daily values ('SPY')")
    reader = _as(warehouse, ROLE, "reader-pw-123")
    with connect(reader) as connection, connection.cursor() as cursor:
        cursor.execute("select symbol from marts.ohlcv_daily")
        assert cursor.fetchall() == [("SPY",)]


def test_a_bad_role_name_is_refused(warehouse: str) -> None:
    with pytest.raises(ValueError, match="lowercase SQL identifier"):
        grant_reader(warehouse, "Robert'); drop table marts.symbols;--")


# ---- adopting roles: never the owner, never a privileged or granted role unasked --------


def test_the_reader_is_bounded_and_reads_marts_unqualified(warehouse: str) -> None:
    grant = grant_reader(warehouse, ROLE, "reader-pw-123")
    parts = urlsplit(warehouse)
    assert grant.url == f"postgresql://{ROLE}:***@{parts.hostname}:{parts.port}{parts.path}"
    reader = _as(warehouse, ROLE, "reader-pw-123")
    with connect(reader) as connection, connection.cursor() as cursor:
        cursor.execute("select symbol from symbols")  # search_path is marts
        assert cursor.fetchall() == [("AAPL",)]
        cursor.execute("show statement_timeout")
        assert cursor.fetchone() == ("1min",)
    with connect(warehouse) as connection, connection.cursor() as cursor:
        cursor.execute("select rolconnlimit from pg_roles where rolname = %s", (ROLE,))
        assert cursor.fetchone() == (10,)
    # Databases this warehouse does not own are named, not silently left open.
    # (template1 accepts PUBLIC connections on every cluster; the embedded one revokes
    # them on `postgres`, a shared server may not.)
    assert "template1" in grant.public_connect
    assert parts.path.lstrip("/") not in grant.public_connect


def test_the_owner_and_superusers_are_refused_and_keep_their_password(warehouse: str) -> None:
    owner = urlsplit(warehouse).username
    with pytest.raises(ReaderRefused, match="owns the warehouse"):
        grant_reader(warehouse, owner, "new-password", force=True)
    with connect(warehouse) as connection, connection.cursor() as cursor:
        cursor.execute(f"create role {ROLE} superuser")
    with pytest.raises(ReaderRefused, match="superuser"):
        grant_reader(warehouse, ROLE, force=True)
    # The owner still writes, with its old password.
    with connect(warehouse) as connection, connection.cursor() as cursor:
        cursor.execute("insert into marts.symbols values ('MSFT')")


def test_a_role_with_other_grants_needs_force_and_loses_them(warehouse: str) -> None:
    with connect(warehouse) as connection, connection.cursor() as cursor:
        cursor.execute(
            f"create role {ROLE} login; grant usage on schema raw_polygon to {ROLE};"
            f" grant select, insert on raw_polygon.tickers to {ROLE}"
        )
    with pytest.raises(ReaderRefused, match=r"already holds privileges on raw_polygon\.tickers"):
        grant_reader(warehouse, ROLE, "reader-pw-123")
    grant = grant_reader(warehouse, ROLE, "reader-pw-123", force=True)
    assert grant.revoked == ["privileges on raw_polygon.tickers"]
    reader = _as(warehouse, ROLE, "reader-pw-123")
    assert _fails(reader, "select * from raw_polygon.tickers") == "InsufficientPrivilege"
    assert _fails(reader, "select * from marts.symbols") == "succeeded"


# ---- the Redis consumer: reads and subscribes to TickStock's keys and channels only ----


def test_the_redis_consumer_reads_and_subscribes_to_tickstock_only(
    private_redis: PrivateRedis,
) -> None:
    admin = redis.Redis.from_url(private_redis.url)
    admin.set("tickstock:relationships:v1:etf:SPY", "members")
    admin.set("other:secret", "no")
    url = grant_redis_consumer(private_redis.url, "consumer-pw-123")
    assert url == f"redis://tickstock_consumer:***@127.0.0.1:{private_redis.port}/0"
    consumer = redis.Redis(
        port=private_redis.port, username="tickstock_consumer", password="consumer-pw-123"
    )
    assert consumer.get("tickstock:relationships:v1:etf:SPY") == b"members"
    pubsub = consumer.pubsub()
    pubsub.subscribe("tickstock.eod.complete")
    assert pubsub.get_message(timeout=2)["type"] == "subscribe"
    admin.publish("tickstock.eod.complete", '{"run_id": "r"}')
    assert pubsub.get_message(timeout=2)["data"] == b'{"run_id": "r"}'
    pubsub.close()
    for refused in (
        lambda: consumer.set("tickstock:relationships:v1:etf:SPY", "x"),
        lambda: consumer.get("other:secret"),
        lambda: consumer.config_get("dir"),
        lambda: consumer.keys("*"),
        lambda: consumer.pubsub().subscribe("other.channel") or consumer.publish("x", "y"),
    ):
        with pytest.raises(redis.exceptions.NoPermissionError):
            refused()
    assert admin.get("tickstock:relationships:v1:etf:SPY") == b"members"


def test_embedded_redis_config_disables_config_module_debug_for_the_admin(
    private_redis: PrivateRedis, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The users embedded Redis is started with, loaded into a real server."""
    from orchestration.runtime import services

    monkeypatch.setattr(services, "_secret", lambda name: f"{name}-pw")
    monkeypatch.delenv(services.REDIS_CONSUMER_PASSWORD_ENV, raising=False)
    admin = redis.Redis.from_url(private_redis.url)
    for line in services.redis_config().splitlines():
        admin.execute_command("ACL", "SETUSER", *line.split()[1:])
    admin = redis.Redis(port=private_redis.port, password="redis-pw")
    admin.set("tickstock:x", "1")
    for command in (("CONFIG", "GET", "dir"), ("MODULE", "LIST"), ("DEBUG", "SLEEP", "0")):
        with pytest.raises(redis.exceptions.NoPermissionError):
            admin.execute_command(*command)
    consumer = redis.Redis(
        port=private_redis.port, username="tickstock_consumer", password="redis_consumer-pw"
    )
    assert consumer.get("tickstock:x") == b"1"
    with pytest.raises(redis.exceptions.NoPermissionError):
        consumer.set("tickstock:x", "2")


# ---- files: created without following links, populated data never deleted --------------


def test_private_files_are_never_written_through_a_link(tmp_path: Path) -> None:
    target = tmp_path / "victim"
    target.write_text("keep")
    link = tmp_path / "initdb.pw"
    link.symlink_to(target)
    write_private(link, "secret")
    assert target.read_text() == "keep"  # the link was replaced, not followed
    assert not link.is_symlink() and link.read_text() == "secret"
    assert stat.S_IMODE(link.stat().st_mode) == 0o600


def test_a_populated_data_directory_without_a_cluster_is_never_deleted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from orchestration.runtime import services

    monkeypatch.setattr(services, "_server_root", lambda default: default)  # root or not
    server = EmbeddedPostgres(root=tmp_path / "postgres")
    server.data_dir.mkdir(parents=True)
    (server.data_dir / "precious.dat").write_text("data")
    with pytest.raises(ServiceError, match="not empty but holds no Postgres cluster"):
        server._initdb("pw")  # what ensure_running does when PG_VERSION is missing
    assert (server.data_dir / "precious.dat").read_text() == "data"


def test_grant_reader_command_prints_both_connection_strings_without_passwords(
    warehouse: str, private_redis: PrivateRedis
) -> None:
    env = cli_env(
        warehouse,
        private_redis.url,
        TICKSTOCK_READER_PASSWORD="reader-pw-123",
        TICKSTOCK_REDIS_CONSUMER_PASSWORD="consumer-pw-123",
    )
    done = run_cli("db", "grant-reader", ROLE, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert f"Postgres reader: postgresql://{ROLE}:***@" in done.stdout
    assert f"redis://tickstock_consumer:***@127.0.0.1:{private_redis.port}/0" in done.stdout
    assert "reader-pw-123" not in done.stdout + done.stderr
    assert "consumer-pw-123" not in done.stdout + done.stderr
    consumer = redis.Redis(
        port=private_redis.port, username="tickstock_consumer", password="consumer-pw-123"
    )
    assert consumer.ping()
    owner = urlsplit(warehouse).username or ""
    refused = run_cli("db", "grant-reader", owner, env=env, timeout=120)
    assert refused.returncode == 2 and "owns the warehouse" in refused.stderr
