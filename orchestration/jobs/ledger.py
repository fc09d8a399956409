"""The run ledger: which EOD runs happened, how each step went, and the notice outbox.

Everything lives in schema `ops`. A run that failed or was killed keeps its
row with status `failed` or `running`; the next invocation for the same
session reopens it and skips the steps already `succeeded`.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from psycopg2.extras import Json

from kernel.warehouse import connect
from orchestration.contracts.notice import EodNotice
from orchestration.runtime.ops_schema import ensure_ops_schema

FINISHED = ("complete", "incomplete")


class RunInProgress(RuntimeError):
    """Another process is running the EOD for this session right now."""


@dataclass
class StepRecord:
    """What a step reports about itself; `detail` is filled in by the step."""

    name: str
    status: str = "running"
    duration_s: float = 0.0
    detail: dict[str, Any] = field(default_factory=dict)


class RunLedger:
    """Reads and writes `ops.eod_runs`, `ops.eod_steps` and `ops.eod_outbox`."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        ensure_ops_schema(database_url)

    def _rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with connect(self.database_url) as connection, connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall() if cursor.description else []

    # ----------------------------------------------------------------- runs

    def completed_run(self, session_date: date) -> str | None:
        """The id of a finished, complete run for the session, if there is one."""
        rows = self._rows(
            "select run_id from ops.eod_runs where session_date = %s and status = 'complete'"
            " order by finished_at desc limit 1",
            (session_date,),
        )
        return str(rows[0][0]) if rows else None

    def unfinished_run(self, session_date: date) -> str | None:
        """The session's latest run if it failed or was killed (so it can resume)."""
        rows = self._rows(
            "select run_id, status from ops.eod_runs where session_date = %s"
            " order by started_at desc limit 1",
            (session_date,),
        )
        if rows and rows[0][1] not in FINISHED:
            return str(rows[0][0])
        return None

    def last_finished_session(self) -> date | None:
        """The latest session a run finished for (complete or incomplete)."""
        rows = self._rows(
            "select max(session_date) from ops.eod_runs where status = any(%s)", (list(FINISHED),)
        )
        last: date | None = rows[0][0]
        return last

    def first_finished_session(self) -> date | None:
        """The earliest session a run finished for: the warehouse's first EOD."""
        rows = self._rows(
            "select min(session_date) from ops.eod_runs where status = any(%s)", (list(FINISHED),)
        )
        first: date | None = rows[0][0]
        return first

    def finished_sessions(self, since: date) -> set[date]:
        """The sessions on or after `since` that a run finished for."""
        rows = self._rows(
            "select distinct session_date from ops.eod_runs"
            " where status = any(%s) and session_date >= %s",
            (list(FINISHED), since),
        )
        return {session for (session,) in rows}

    def start_run(self, session_date: date) -> str:
        run_id = str(uuid.uuid4())
        self._rows(
            "insert into ops.eod_runs (run_id, session_date, status) values (%s, %s, 'running')",
            (run_id, session_date),
        )
        return run_id

    def reopen_run(self, run_id: str) -> None:
        self._rows(
            "update ops.eod_runs set status = 'running', finished_at = null where run_id = %s",
            (run_id,),
        )

    def finish_run(self, run_id: str, status: str, summary: dict[str, Any]) -> None:
        self._rows(
            "update ops.eod_runs set status = %s, finished_at = now(), summary = %s"
            " where run_id = %s",
            (status, Json(summary), run_id),
        )

    @contextlib.contextmanager
    def session_lock(self, session_date: date) -> Iterator[None]:
        """Hold the session's advisory lock for the whole run: one runner per session."""
        # Closing the connection (on leaving) releases the lock.
        with connect(self.database_url, autocommit=True) as connection:
            with connection.cursor() as cursor:
                key = f"tickstock.eod.{session_date.isoformat()}"
                cursor.execute("select pg_try_advisory_lock(hashtext(%s))", (key,))
                if not cursor.fetchone()[0]:
                    raise RunInProgress(f"another EOD run for {session_date} is in progress")
            yield

    # ---------------------------------------------------------------- steps

    def succeeded_steps(self, run_id: str) -> dict[str, StepRecord]:
        """Steps of the run that already succeeded, with what they reported."""
        rows = self._rows(
            "select step, duration_s, detail from ops.eod_steps"
            " where run_id = %s and status = 'succeeded'",
            (run_id,),
        )
        return {
            name: StepRecord(name, "succeeded", float(duration or 0), detail or {})
            for name, duration, detail in rows
        }

    @contextlib.contextmanager
    def step(self, run_id: str, name: str) -> Iterator[StepRecord]:
        """Record a step: `running` on entry, `succeeded` or `failed` on exit."""
        record = StepRecord(name)
        self._rows(
            "insert into ops.eod_steps (run_id, step, status) values (%s, %s, 'running')"
            " on conflict (run_id, step) do update set status = 'running', started_at = now(),"
            " finished_at = null, attempts = ops.eod_steps.attempts + 1",
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
            self._rows(
                "update ops.eod_steps set status = %s, finished_at = now(), duration_s = %s,"
                " detail = %s where run_id = %s and step = %s",
                (record.status, record.duration_s, Json(record.detail), run_id, name),
            )

    # --------------------------------------------------------------- outbox

    def enqueue_notice(self, notice: EodNotice) -> None:
        """Keep the completion notice until it is delivered (once per run)."""
        self._rows(
            "insert into ops.eod_outbox (run_id, session_date, message) values (%s, %s, %s)"
            " on conflict (run_id) do nothing",
            (notice.run_id, notice.session_date, Json(notice.model_dump(mode="json"))),
        )

    def pending_notices(self) -> list[EodNotice]:
        """Undelivered notices, oldest first."""
        rows = self._rows(
            "select message from ops.eod_outbox where delivered_at is null order by created_at"
        )
        return [EodNotice.model_validate(message) for (message,) in rows]

    def mark_delivered(self, run_id: str) -> None:
        self._rows(
            "update ops.eod_outbox set delivered_at = now()"
            " where run_id = %s and delivered_at is null",
            (run_id,),
        )
