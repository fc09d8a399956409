"""Connections to the warehouse and the environment dbt and GX read it from."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, parse_qsl, quote, unquote, urlencode, urlsplit

import psycopg2
import psycopg2.extensions

from kernel.settings import Bounds, current_bounds

# TCP keepalives: a server whose host or network is gone is noticed in about a
# minute (idle 30 s, then 3 probes 10 s apart), not after the kernel's two hours.
KEEPALIVES = {"keepalives": "1", "keepalives_idle": "30", "keepalives_interval": "10"}
KEEPALIVES |= {"keepalives_count": "3"}


def bounded_url(
    database_url: str, bounds: Bounds | None = None, *, statement_timeout: bool = True
) -> str:
    """`database_url` with libpq's connect timeout, keepalives and a statement timeout.

    Parameters already in the URL win; `options` keeps what it had after
    the statement timeout. The form dlt's destination credentials take (dlt
    keeps `connect_timeout` and `options`) and GX's connection string.
    `statement_timeout=False` leaves the timeout out (see `connect`).
    """
    bounds = bounds or current_bounds()
    parts = urlsplit(database_url)
    query = dict(parse_qsl(parts.query))
    wanted = {"connect_timeout": str(bounds.pg_connect_timeout_s), **KEEPALIVES}
    for name, value in wanted.items():
        query.setdefault(name, value)
    timeout = f"-c statement_timeout={bounds.pg_statement_timeout_s * 1000}"
    if statement_timeout and "statement_timeout" not in query.get("options", ""):
        query["options"] = f"{timeout} {query.get('options', '')}".strip()
    return parts._replace(query=urlencode(query, quote_via=quote)).geturl()


def _bound_statements(connection: psycopg2.extensions.connection) -> None:
    """The statement timeout of the bounds, unless the server, database or role sets one.

    A startup option would override the role's own setting (a reader made
    by `db grant-reader` has a tighter one), so it is set after connecting,
    and only where nothing else bounds statements.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "select set_config('statement_timeout', %s, false)"
            " where current_setting('statement_timeout') = '0'",
            (f"{current_bounds().pg_statement_timeout_s}s",),
        )
    connection.commit()  # a session setting, kept whatever the caller's transactions do


@contextlib.contextmanager
def connect(
    database_url: str, *, autocommit: bool = False
) -> Iterator[psycopg2.extensions.connection]:
    """A connection, always closed on exit, its waits bounded (`bounded_url`).

    In one transaction, committed on success and rolled back on error; or,
    with `autocommit`, every statement on its own (`create database`, or
    session-level advisory locks held while other work commits).
    """
    connection = psycopg2.connect(bounded_url(database_url, statement_timeout=False))
    try:
        _bound_statements(connection)
        if autocommit:
            connection.autocommit = True
            yield connection
        else:
            with connection:
                yield connection
    finally:
        connection.close()


def query(database_url: str, sql: str, params: Any = None) -> list[tuple[Any, ...]]:
    """Run one read query and return all rows."""
    with connect(database_url) as connection, connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows: list[tuple[Any, ...]] = cursor.fetchall()
        return rows


def relation_exists(database_url: str, qualified_name: str) -> bool:
    ((exists,),) = query(database_url, "select to_regclass(%s) is not null", (qualified_name,))
    return bool(exists)


def export_connection_env(database_url: str) -> None:
    """Expose the warehouse to dbt (profiles.yml) and GX (connection string).

    Variables rather than files, so no password is ever written to disk by us
    or rendered into dbt docs or GX configuration.
    """
    parts = urlsplit(database_url)
    # `?host=/socket/dir` (a unix socket) wins over the URL's host name.
    host = parse_qs(parts.query).get("host", [parts.hostname or "localhost"])[0]
    bounds = current_bounds()
    os.environ.update(
        {
            "TICKSTOCK_PG_HOST": host,
            "TICKSTOCK_PG_PORT": str(parts.port or 5432),
            "TICKSTOCK_PG_USER": unquote(parts.username or ""),
            "TICKSTOCK_PG_PASSWORD": unquote(parts.password or ""),
            "TICKSTOCK_PG_DBNAME": parts.path.lstrip("/"),
            "TICKSTOCK_WAREHOUSE_URL": bounded_url(database_url, bounds),
            # profiles.yml: dbt-postgres takes these two as profile fields (its
            # statement timeout: PGOPTIONS while dbt runs, runtime/dbt_runner.py).
            "TICKSTOCK_PG_CONNECT_TIMEOUT": str(bounds.pg_connect_timeout_s),
            "TICKSTOCK_PG_KEEPALIVES_IDLE": KEEPALIVES["keepalives_idle"],
        }
    )


def tested_bars_vars(database_url: str) -> dict[str, str]:
    """dbt vars that limit the bar marts' tests to bars loaded after now's newest.

    Passed to a build that is about to add bars, its tests then cover what it
    added (see macros/get_where_subquery.sql). Empty when there are no bars yet.
    """
    if not relation_exists(database_url, "marts.ohlcv_daily"):
        return {}
    ((newest,),) = query(database_url, "select max(loaded_at) from marts.ohlcv_daily")
    return {"tested_loaded_after": newest.isoformat()} if newest else {}
