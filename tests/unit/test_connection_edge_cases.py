"""Edge cases of how the CLI reads errors and how dlt is handed the warehouse."""

from __future__ import annotations

import threading

import psycopg2

from extract.pipelines import destination_credentials
from orchestration.cli.app import server_unavailable


def test_a_url_without_a_password_gives_dlt_an_empty_one() -> None:
    # A trust-auth server takes such a URL; dlt refuses credentials without a password.
    credentials = destination_credentials("postgresql://postgres@127.0.0.1:5432/warehouse")
    assert credentials.password == ""
    assert (credentials.username, credentials.database) == ("postgres", "warehouse")
    assert credentials.connect_timeout > 0  # the bounds still apply


def test_a_password_in_the_url_is_kept() -> None:
    credentials = destination_credentials("postgresql://app:s3cret@db:6543/warehouse")
    assert (credentials.password, credentials.host, credentials.port) == ("s3cret", "db", 6543)


def _looping_chain(final: BaseException | None) -> BaseException:
    """Two exceptions that are each other's context (as some libraries leave them)."""
    outer, inner = RuntimeError("outer"), ValueError("inner")
    outer.__context__ = inner
    inner.__context__ = outer
    if final is not None:
        inner.__cause__ = final
    return outer


def test_a_chain_that_loops_ends_the_search() -> None:
    # In a thread: the bug this guards against spun forever at full CPU.
    answers: list[str | None] = []
    search = threading.Thread(
        target=lambda: answers.append(server_unavailable(_looping_chain(None))), daemon=True
    )
    search.start()
    search.join(timeout=10)
    assert answers == [None]


def test_a_database_error_in_the_chain_is_named() -> None:
    line = server_unavailable(_looping_chain(psycopg2.OperationalError("connection refused")))
    assert line is not None and line.startswith("Postgres did not answer: connection refused")
