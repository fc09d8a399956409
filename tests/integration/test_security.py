"""`tickstock db grant-reader`: TickStock's role reads the marts and nothing else."""

from __future__ import annotations

import uuid
from urllib.parse import urlsplit

import psycopg2
import pytest

from kernel.warehouse import connect
from orchestration.jobs.security import grant_reader

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
