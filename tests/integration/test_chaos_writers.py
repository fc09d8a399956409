"""Chaos: many commands on one warehouse (one writer at a time), another data source,
a database reset. Real Postgres and Redis; the sandbox market."""

from __future__ import annotations

import os
import time

import pytest

from kernel.warehouse import query
from orchestration.jobs.writer import WriterBusy, current_holder, writer_lock
from orchestration.runtime.services import Endpoints
from tests.support.cli import cli_env, run_cli


def _schemas(database_url: str) -> set[str]:
    rows = query(
        database_url,
        "select nspname from pg_namespace where nspname not like 'pg\\_%'"
        " and nspname <> 'information_schema'",
    )
    return {name for (name,) in rows}


def test_wait_0_refuses_at_once_naming_the_holder_and_writes_nothing(
    fresh_database: str, servers: Endpoints
) -> None:
    before = _schemas(fresh_database)
    with writer_lock(fresh_database, "tickstock load", say=lambda _: None):
        holder = current_holder(fresh_database)
        assert holder is not None and holder.command == "tickstock load"
        assert holder.pid == os.getpid()
        started = time.monotonic()
        refused = run_cli(
            "load",
            "--symbols",
            "AAPL",
            "--months",
            "1",
            "--wait",
            "0",
            env=cli_env(fresh_database, servers.redis_url),
        )
        assert time.monotonic() - started < 30
    assert refused.returncode == 2, refused.stdout + refused.stderr
    message = " ".join(refused.stderr.split())
    assert f"tickstock load (pid {os.getpid()}, since" in message
    assert "refused at once (--wait 0)" in message
    # Nothing written: no schema was created (the lock comes before the bootstrap).
    assert _schemas(fresh_database) == before
    assert current_holder(fresh_database) is None


def test_a_waiting_writer_says_whom_it_waits_for_and_gives_up_after_wait(
    fresh_database: str,
) -> None:
    said: list[str] = []
    with writer_lock(fresh_database, "tickstock quality", say=lambda _: None):
        started = time.monotonic()
        with (
            pytest.raises(WriterBusy, match=r"gave up after waiting 1s for tickstock quality"),
            writer_lock(_other_connection_url(fresh_database), "tickstock eod", 1, said.append),
        ):
            pass
        assert 0.9 < time.monotonic() - started < 10
    assert said and said[0].startswith(f"waiting for tickstock quality (pid {os.getpid()}, since")
    # Free again: the next writer takes it at once, and the lock is re-entrant in a process.
    with writer_lock(fresh_database, "a", 0), writer_lock(fresh_database, "b", 0):
        assert current_holder(fresh_database).command == "a"
    assert current_holder(fresh_database) is None


def _other_connection_url(database_url: str) -> str:
    """The same database under a URL the process does not hold the lock by (a second writer)."""
    return database_url + ("&" if "?" in database_url else "?") + "application_name=second"
