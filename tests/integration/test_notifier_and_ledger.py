"""Redis notices and the run ledger, on the real servers."""

from __future__ import annotations

import json
import time
import uuid
from datetime import date

import pytest

from kernel.warehouse import connect
from orchestration.contracts.steps import STEP_ENTRY
from orchestration.jobs.ledger import RunLedger
from orchestration.jobs.notifier import EOD_COMPLETE_CHANNEL, EOD_RUNS_STREAM, RedisNotifier
from tests.support.contracts import sample_notice, schema_errors

pytestmark = pytest.mark.integration


def test_completion_is_published_and_kept_on_the_stream(redis_client) -> None:
    run_id = str(uuid.uuid4())
    subscriber = redis_client.pubsub()
    subscriber.subscribe(EOD_COMPLETE_CHANNEL)
    subscriber.get_message(timeout=2)  # the subscribe confirmation
    notifier = RedisNotifier(redis_client)
    step = {
        "run_id": run_id,
        "session_date": "2026-11-20",
        "step": "extract",
        "status": "succeeded",
        "duration_s": 1.5,
        "rows_landed": {"grouped_daily": 15},
    }
    notifier.step(STEP_ENTRY.validate_python(step))
    notice = sample_notice(run_id, date(2026, 11, 20))
    listeners = notifier.complete(notice)

    assert listeners >= 1
    deadline, received = time.monotonic() + 5, None
    while received is None and time.monotonic() < deadline:
        received = subscriber.get_message(timeout=1)
    subscriber.close()
    published = json.loads(received["data"])
    assert published == notice.model_dump(mode="json")
    assert schema_errors("eod_notice", published) == []

    entries = [
        fields
        for _, fields in redis_client.xrange(EOD_RUNS_STREAM, "-", "+")
        if fields[b"run_id"] == run_id.encode()
    ]
    assert [entry[b"kind"] for entry in entries] == [b"step", b"complete"]
    assert entries[0][b"step"] == b"extract" and entries[0][b"session_date"] == b"2026-11-20"
    step_data = json.loads(entries[0][b"data"])
    assert step_data["duration_s"] == 1.5 and step_data["kind"] == "step"
    assert schema_errors("eod_step_entry", step_data) == []
    assert json.loads(entries[1][b"data"]) == published


def test_ledger_records_steps_and_failures(fresh_database: str) -> None:
    ledger = RunLedger(fresh_database)
    session = date(2026, 11, 20)
    run_id = ledger.start_run(session)
    with ledger.step(run_id, "extract") as step:
        step.detail["rows"] = 10
    with pytest.raises(RuntimeError), ledger.step(run_id, "transform"):
        raise RuntimeError("dbt failed")
    assert ledger.completed_run(session) is None
    ledger.finish_run(run_id, "complete", {"ok": True})
    assert ledger.completed_run(session) == run_id

    with connect(fresh_database) as connection, connection.cursor() as cursor:
        cursor.execute("select step, status, detail from ops.eod_steps order by started_at")
        steps = cursor.fetchall()
    assert steps == [
        ("extract", "succeeded", {"rows": 10}),
        ("transform", "failed", {"error": "RuntimeError"}),
    ]


def test_a_killed_run_is_found_again_with_its_finished_steps(fresh_database: str) -> None:
    ledger = RunLedger(fresh_database)
    session = date(2026, 11, 20)
    run_id = ledger.start_run(session)
    with ledger.step(run_id, "reference") as step:
        step.detail["rows"] = 3
    # Killed during `lifecycle`: the step row says running, the run was never finished.
    with connect(fresh_database) as connection, connection.cursor() as cursor:
        cursor.execute(
            "insert into ops.eod_steps (run_id, step, status) values (%s, 'lifecycle', 'running')",
            (run_id,),
        )
    assert ledger.unfinished_run(session) == run_id
    assert ledger.last_finished_session() is None
    done = ledger.succeeded_steps(run_id)
    assert list(done) == ["reference"] and done["reference"].detail == {"rows": 3}

    ledger.reopen_run(run_id)
    with ledger.step(run_id, "lifecycle"):
        pass
    ledger.finish_run(run_id, "complete", {})
    assert ledger.unfinished_run(session) is None
    assert ledger.last_finished_session() == session
    with connect(fresh_database) as connection, connection.cursor() as cursor:
        cursor.execute("select step, status, attempts from ops.eod_steps order by step")
        assert cursor.fetchall() == [("lifecycle", "succeeded", 2), ("reference", "succeeded", 1)]


def test_one_runner_per_session(fresh_database: str) -> None:
    from orchestration.jobs.ledger import RunInProgress

    ledger = RunLedger(fresh_database)
    with ledger.session_lock(date(2026, 11, 20)):
        with pytest.raises(RunInProgress), ledger.session_lock(date(2026, 11, 20)):
            pass
        with ledger.session_lock(date(2026, 11, 19)):
            pass  # another session is independent
    with ledger.session_lock(date(2026, 11, 20)):
        pass  # released
