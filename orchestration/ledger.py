"""The run ledger: which EOD runs happened, and how each step went (schema `ops`)."""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from psycopg2.extras import Json

from orchestration.warehouse import connect

_SCHEMA = """
create schema if not exists ops;
create table if not exists ops.eod_runs (
    run_id uuid primary key,
    session_date date not null,
    status text not null,
    started_at timestamptz not null default now(),
    finished_at timestamptz,
    summary jsonb
);
create index if not exists eod_runs_session_idx on ops.eod_runs (session_date);
create table if not exists ops.eod_steps (
    run_id uuid not null references ops.eod_runs (run_id),
    step text not null,
    status text not null,
    started_at timestamptz not null default now(),
    finished_at timestamptz,
    duration_s numeric(10, 3),
    detail jsonb,
    primary key (run_id, step)
);
"""


@dataclass
class StepRecord:
    """What a step reports about itself; `detail` is filled in by the step."""

    name: str
    status: str = "running"
    duration_s: float = 0.0
    detail: dict[str, Any] = field(default_factory=dict)


class RunLedger:
    """Reads and writes `ops.eod_runs` and `ops.eod_steps`."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        with connect(database_url) as connection, connection.cursor() as cursor:
            # One writer at a time creates the schema; concurrent runs wait here.
            cursor.execute("select pg_advisory_xact_lock(hashtext('tickstock.ops'))")
            cursor.execute(_SCHEMA)

    def completed_run(self, session_date: date) -> str | None:
        """The id of a finished, complete run for the session, if there is one."""
        with connect(self.database_url) as connection, connection.cursor() as cursor:
            cursor.execute(
                "select run_id from ops.eod_runs where session_date = %s and status = 'complete'"
                " order by finished_at desc limit 1",
                (session_date,),
            )
            row = cursor.fetchone()
        return str(row[0]) if row else None

    def start_run(self, session_date: date) -> str:
        run_id = str(uuid.uuid4())
        with connect(self.database_url) as connection, connection.cursor() as cursor:
            cursor.execute(
                "insert into ops.eod_runs (run_id, session_date, status)"
                " values (%s, %s, 'running')",
                (run_id, session_date),
            )
        return run_id

    @contextlib.contextmanager
    def step(self, run_id: str, name: str) -> Iterator[StepRecord]:
        """Record a step: `running` on entry, `succeeded` or `failed` on exit."""
        record = StepRecord(name)
        with connect(self.database_url) as connection, connection.cursor() as cursor:
            cursor.execute(
                "insert into ops.eod_steps (run_id, step, status) values (%s, %s, 'running')",
                (run_id, name),
            )
        started = time.perf_counter()
        try:
            yield record
            record.status = "succeeded"
        except BaseException as error:
            record.status = "failed"
            record.detail["error"] = type(error).__name__
            raise
        finally:
            record.duration_s = round(time.perf_counter() - started, 3)
            with connect(self.database_url) as connection, connection.cursor() as cursor:
                cursor.execute(
                    "update ops.eod_steps set status = %s, finished_at = now(), duration_s = %s,"
                    " detail = %s where run_id = %s and step = %s",
                    (record.status, record.duration_s, Json(record.detail), run_id, name),
                )

    def finish_run(self, run_id: str, status: str, summary: dict[str, Any]) -> None:
        with connect(self.database_url) as connection, connection.cursor() as cursor:
            cursor.execute(
                "update ops.eod_runs set status = %s, finished_at = now(), summary = %s"
                " where run_id = %s",
                (status, Json(summary), run_id),
            )
