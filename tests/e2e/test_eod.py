"""`tickstock eod` on a fresh database, as a user runs it: the whole chain, for real."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import redis
from rich.console import Console

from kernel.market_calendar import TradingCalendar
from kernel.settings import REPO_ROOT, Settings
from kernel.warehouse import connect, export_connection_env
from orchestration.jobs.eod import BOOTSTRAP_HISTORY, EodJob, MarketClosed, SessionNotFinal
from orchestration.jobs.notifier import EOD_COMPLETE_CHANNEL, EOD_RUNS_STREAM, RedisNotifier
from orchestration.runtime.dbt_runner import run_dbt
from orchestration.runtime.services import Endpoints
from tests.support.cli import cli_env, run_cli
from tests.support.contracts import schema_errors
from tests.support.databases import throwaway_database
from tests.support.listener import ChannelListener
from tests.support.private_redis import PrivateRedis

pytestmark = pytest.mark.e2e

SESSION = date(2025, 6, 13)  # a Friday
MESSAGE_FIELDS = {
    "run_id",
    "session_date",
    "status",
    "symbols_expected",
    "symbols_updated",
    "completion_pct",
    "gaps",
    "anomalies",
    "quality_passed",
    "duration_s",
    "reports",
}


def _scalar(database_url: str, sql: str, params: tuple = ()) -> object:
    with connect(database_url) as connection, connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def _secrets(servers: Endpoints) -> list[str]:
    return [
        secret
        for secret in (
            urlsplit(servers.database_url).password,
            urlsplit(servers.redis_url).password,
        )
        if secret
    ]


def _tickstock(*args: str, database_url: str, redis_url: str) -> subprocess.CompletedProcess:
    """Run the installed CLI as a user would, on the given servers and the sandbox."""
    return run_cli(*args, env=cli_env(database_url, redis_url))


@pytest.fixture(scope="module")
def first_run(servers: Endpoints):
    """`tickstock eod --date SESSION` in a subprocess, on a database nobody used."""
    with throwaway_database(servers.database_url) as database_url:
        listener = ChannelListener(redis.Redis.from_url(servers.redis_url), EOD_COMPLETE_CHANNEL)
        completed = _tickstock(
            "eod",
            "--date",
            SESSION.isoformat(),
            database_url=database_url,
            redis_url=servers.redis_url,
        )
        listener.close()
        yield database_url, completed, listener.messages


def test_cli_exits_zero_and_says_the_data_is_synthetic(first_run) -> None:
    _, completed, _ = first_run
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    assert "SANDBOX" in completed.stdout and "SYNTHETIC" in completed.stdout
    assert "symbols expected 15, updated 15" in completed.stdout
    assert "GX Data Docs:" in completed.stdout


def test_one_message_with_every_field(first_run) -> None:
    _, _, messages = first_run
    assert len(messages) == 1
    (message,) = messages
    assert message.keys() >= MESSAGE_FIELDS
    assert message["session_date"] == SESSION.isoformat()
    assert message["status"] == "complete"
    assert (message["symbols_expected"], message["symbols_updated"]) == (15, 15)
    assert message["completion_pct"] == 100.0
    assert message["gaps"] == [] and message["quality_passed"] is True
    # The first snapshot is the baseline: nothing counts as listed or delisted.
    assert message["lifecycle"] == {"listed": [], "delisted": [], "renamed": []}
    assert message["compliance"]["eod_symbols"] == 15
    assert message["compliance"]["eod_processed_pct"] == 100.0
    assert os.path.exists(message["reports"]["data_docs"])
    assert os.path.exists(message["reports"]["run_record"])


def test_quality_counts_the_bars_delivered_twice(first_run) -> None:
    """The bootstrap history and the grouped daily both deliver the session's 15 bars."""
    _, _, (message,) = first_run
    record = json.loads(Path(message["reports"]["run_record"]).read_text())
    (quality,) = [step for step in record["steps"] if step["name"] == "quality"]
    assert quality["detail"]["issues"]["duplicates_resolved"] == 15


def test_stream_has_an_entry_per_step(first_run, redis_client) -> None:
    _, _, (message,) = first_run
    run_id = message["run_id"].encode()
    steps = [
        fields.get(b"step", fields[b"kind"])
        for _, fields in redis_client.xrange(EOD_RUNS_STREAM, "-", "+")
        if fields[b"run_id"] == run_id
    ]
    assert steps == [
        b"reference",
        b"lifecycle",
        b"extract",
        b"transform",
        b"quality",
        b"complete",
        b"publish",
    ]


def test_notice_stream_entries_and_run_record_match_their_schemas(first_run, redis_client) -> None:
    _, _, (message,) = first_run
    assert schema_errors("eod_notice", message) == []
    entries = [
        fields
        for _, fields in redis_client.xrange(EOD_RUNS_STREAM, "-", "+")
        if fields[b"run_id"] == message["run_id"].encode()
    ]
    assert len(entries) == 7
    for fields in entries:
        contract = "eod_step_entry" if fields[b"kind"] == b"step" else "eod_notice"
        assert schema_errors(contract, json.loads(fields[b"data"])) == [], fields.get(b"step")
    record = json.loads(Path(message["reports"]["run_record"]).read_text())
    assert schema_errors("eod_run_record", record) == []
    assert {key: record[key] for key in message} == message


def test_warehouse_holds_the_session_and_six_months_of_history(first_run) -> None:
    database_url, _, _ = first_run
    assert (
        _scalar(database_url, "select count(*) from marts.ohlcv_daily where date = %s", (SESSION,))
        == 15
    )
    sessions = TradingCalendar().session_dates(SESSION - BOOTSTRAP_HISTORY, SESSION)
    assert len(sessions) > 120
    assert _scalar(database_url, "select count(*) from marts.ohlcv_daily") == 15 * len(sessions)
    assert _scalar(database_url, "select count(distinct date) from marts.ohlcv_daily") == len(
        sessions
    )
    assert _scalar(database_url, "select count(*) from marts.symbols") >= 15


def test_no_secret_in_output_or_message(first_run, servers) -> None:
    _, completed, messages = first_run
    published = json.dumps(messages)
    for secret in _secrets(servers):
        assert secret not in completed.stdout
        assert secret not in completed.stderr
        assert secret not in published


def _row_counts(database_url: str) -> tuple:
    return (
        _scalar(database_url, "select count(*) from marts.ohlcv_daily"),
        _scalar(database_url, "select count(distinct (symbol, date)) from marts.ohlcv_daily"),
        # The raw bar tables log every delivery (a forced rerun appends one):
        # what must not change is the set of bars they hold.
        _scalar(database_url, "select count(distinct (ticker, t)) from raw_polygon.aggs_daily"),
        _scalar(database_url, "select count(distinct (ticker, t)) from raw_polygon.grouped_daily"),
    )


def test_rerun_is_skipped_and_forced_rerun_changes_nothing(first_run, servers) -> None:
    database_url, _, (message,) = first_run
    before = _row_counts(database_url)
    assert before[0] == before[1]  # no duplicate (symbol, date)
    settings = Settings(database_url, servers.redis_url, None, "https://api.polygon.io", "dev")
    endpoints = Endpoints(database_url, servers.redis_url, False, False)
    notifier = RedisNotifier(redis.Redis.from_url(servers.redis_url))
    job = EodJob(settings, endpoints, notifier, console=Console(record=True, width=200))

    skipped = job.run(SESSION)
    assert skipped.skipped_run_id == message["run_id"] and skipped.message is None
    assert _row_counts(database_url) == before

    forced = job.run(SESSION, force=True)
    assert forced.message.status == "complete"
    assert forced.message.run_id != message["run_id"]
    assert _row_counts(database_url) == before


def test_a_session_still_open_is_refused(first_run, servers) -> None:
    database_url, _, _ = first_run
    settings = Settings(database_url, servers.redis_url, None, "https://api.polygon.io", "dev")
    endpoints = Endpoints(database_url, servers.redis_url, False, False)
    job = EodJob(settings, endpoints, RedisNotifier(redis.Redis.from_url(servers.redis_url)))
    with pytest.raises(MarketClosed):
        job.resolve_session(date(2025, 7, 4))
    with pytest.raises(SessionNotFinal):
        tomorrow = date.today() + timedelta(days=1)
        job.resolve_session(TradingCalendar().session_dates(tomorrow, tomorrow + timedelta(10))[0])


def test_every_dbt_unit_test_passes_on_the_built_warehouse(first_run) -> None:
    # The EOD's builds leave unit tests out; they need its relations for their
    # fixtures' column types, so they run here, all of them.
    database_url, _, _ = first_run
    export_connection_env(database_url)
    results = run_dbt("test", "--select", "test_type:unit", target="dev")
    statuses = [str(r.status) for r in results.results if r.node.resource_type == "unit_test"]
    assert len(statuses) >= 16
    assert set(statuses) == {"pass"}


def test_the_runs_validation_pages_are_in_the_data_docs(first_run) -> None:
    # Rendered once per run (publish_data_docs), not by each checkpoint: every
    # suite the report lists has a page written during the quality step.
    _, _, messages = first_run
    reports = messages[0]["reports"]
    written = Path(reports["quality_json"]).stat().st_mtime
    record = json.loads(Path(reports["run_record"]).read_text())
    (quality,) = [step for step in record["steps"] if step["name"] == "quality"]
    started = written - quality["duration_s"] - 1
    suites = set(json.loads(Path(reports["quality_json"]).read_text())["expectations"])
    pages = Path(reports["data_docs"]).parent / "validations"
    rendered = {
        page.relative_to(pages).parts[0]
        for page in pages.rglob("*.html")
        if started <= page.stat().st_mtime <= written
    }
    assert "ohlcv_daily__suite" in suites
    assert suites <= rendered, suites - rendered
    # And they load their scripts and styles from the site, not a CDN.
    assert not [
        page
        for page in pages.rglob("*.html")
        if page.stat().st_mtime >= started and "cdn.jsdelivr.net/npm/vega@5" in page.read_text()
    ]


def test_docs_sites_are_built_without_secrets(first_run, servers) -> None:
    database_url, _, _ = first_run
    completed = _tickstock("docs", database_url=database_url, redis_url=servers.redis_url)
    assert completed.returncode == 0, completed.stderr[-3000:]
    paths = {
        line.split(":", 1)[0]: line.split(":", 1)[1].strip()
        for line in completed.stdout.splitlines()
        if line.startswith(("dbt docs:", "GX Data Docs:"))
    }
    dbt_docs, gx_docs = paths["dbt docs"], paths["GX Data Docs"]
    assert dbt_docs.endswith("static_index.html") and gx_docs.endswith("index.html")
    dbt_html = Path(dbt_docs).read_text(encoding="utf-8")
    assert "ohlcv_daily" in dbt_html and "symbols" in dbt_html
    gx_html = Path(gx_docs).read_text(encoding="utf-8")
    assert "ohlcv_daily__suite" in gx_html
    generated = [REPO_ROOT / "dbt_project" / "target", REPO_ROOT / "expectations" / "gx"]
    texts = [dbt_html, gx_html] + [
        path.read_text(errors="ignore")
        for folder in generated
        for path in folder.rglob("*")
        if path.is_file() and path.suffix in {".json", ".yml", ".html", ".log"}
    ]
    for secret in _secrets(servers):
        assert not any(secret in text for text in texts)


def _job(database_url: str, redis_url: str) -> EodJob:
    settings = Settings(database_url, redis_url, None, "https://api.polygon.io", "dev")
    endpoints = Endpoints(database_url, redis_url, False, False)
    notifier = RedisNotifier(redis.Redis.from_url(redis_url, socket_timeout=2))
    return EodJob(settings, endpoints, notifier, console=Console(record=True, width=200))


def _session_bars(database_url: str, session: date) -> list[tuple]:
    with connect(database_url) as connection, connection.cursor() as cursor:
        cursor.execute(
            "select symbol, open, high, low, close, volume, vwap, transactions, source"
            " from marts.ohlcv_daily where date = %s order by symbol",
            (session,),
        )
        return cursor.fetchall()


def _steps(database_url: str, run_id: str) -> dict[str, tuple]:
    with connect(database_url) as connection, connection.cursor() as cursor:
        cursor.execute(
            "select step, status, attempts from ops.eod_steps where run_id = %s", (run_id,)
        )
        return {step: (status, attempts) for step, status, attempts in cursor.fetchall()}


class TransformFailsOnce(EodJob):
    """dbt dies on the first attempt (say the database restarted mid-build)."""

    def _transform(self, session, record, sessions) -> None:
        raise RuntimeError("connection to the warehouse lost")


def test_a_failed_run_resumes_at_the_failed_step_and_equals_a_clean_run(first_run, servers):
    database_url, _, _ = first_run
    session = date(2025, 6, 16)
    healthy = _job(database_url, servers.redis_url)
    failing = TransformFailsOnce(
        healthy.settings,
        Endpoints(database_url, servers.redis_url, False, False),
        healthy.notifier,
        console=healthy.console,
    )
    with pytest.raises(RuntimeError, match="warehouse lost"):
        failing.run(session)
    loads_before = _scalar(database_url, "select count(*) from raw_polygon._dlt_loads")

    resumed = healthy.run(session)
    run_id = resumed.resumed_run_id
    assert run_id and resumed.message.run_id == run_id
    assert resumed.message.status == "complete"
    assert _steps(database_url, run_id) == {
        "reference": ("succeeded", 1),
        "lifecycle": ("succeeded", 1),
        "extract": ("succeeded", 1),
        "transform": ("succeeded", 2),
        "quality": ("succeeded", 1),
        "publish": ("succeeded", 1),
    }
    # Nothing was landed again: reference, lifecycle and extract were not redone.
    assert _scalar(database_url, "select count(*) from raw_polygon._dlt_loads") == loads_before
    resumed_bars = _session_bars(database_url, session)
    assert len(resumed_bars) == 15

    clean = healthy.run(session, force=True)
    assert clean.resumed_run_id is None and clean.message.status == "complete"
    assert _session_bars(database_url, session) == resumed_bars


def test_a_new_listing_gets_its_history_and_is_announced(first_run, servers):
    database_url, _, _ = first_run
    listener = ChannelListener(redis.Redis.from_url(servers.redis_url), EOD_COMPLETE_CHANNEL)
    outcome = _job(database_url, servers.redis_url).run(date(2025, 9, 15))
    listener.close()
    message = outcome.message.model_dump(mode="json")
    assert message["lifecycle"] == {"listed": ["NWSDY"], "delisted": [], "renamed": []}
    assert [m["lifecycle"] for m in listener.messages] == [message["lifecycle"]]
    lifecycle = next(step for step in outcome.steps if step.name == "lifecycle")
    assert lifecycle.detail["history_backfilled"] == {"NWSDY": 90}  # ADRC: 90 days
    assert message["symbols_expected"] == 16 and message["status"] == "complete"
    # Classified on its first session: its details came with the slice of 16 / 20.
    assert lifecycle.detail["details_refreshed"]["listed"] == ["NWSDY"]
    assert len(lifecycle.detail["details_refreshed"]["rotation"]) == 1
    assert message["compliance"]["details_refreshed"] == 2
    sql = "select {} from marts.symbols where symbol = 'NWSDY'"
    assert _scalar(database_url, sql.format("sector")) == "Information Technology"  # SIC 3674
    assert _scalar(database_url, sql.format("market_cap")) > 0
    assert _scalar(
        database_url,
        "select initial_load_date from marts.symbols where symbol = 'NWSDY' and active",
    ) == date(2025, 9, 15)
    # Listed that day: its history is the one session it traded.
    assert (
        _scalar(database_url, "select count(*) from marts.ohlcv_daily where symbol = 'NWSDY'") == 1
    )


def test_a_notice_is_kept_while_redis_is_down_and_published_later(first_run):
    database_url, _, _ = first_run
    private = PrivateRedis()
    private.start()
    job = _job(database_url, private.url)
    private.stop()
    outcome = job.run(date(2025, 6, 17))
    assert outcome.message.status == "complete"
    publish = next(step for step in outcome.steps if step.name == "publish")
    assert (publish.detail["delivered"], publish.detail["pending"]) == (0, 1)

    private.start()
    try:
        first = _tickstock("publish", "--pending", database_url=database_url, redis_url=private.url)
        again = _tickstock("publish", "--pending", database_url=database_url, redis_url=private.url)
        entries = redis.Redis.from_url(private.url).xrange(EOD_RUNS_STREAM, "-", "+")
    finally:
        private.stop()
    assert first.returncode == 0 and "delivered 1 notice(s); 0 still pending" in first.stdout
    assert again.returncode == 0 and "delivered 0 notice(s)" in again.stdout
    completes = [json.loads(f[b"data"]) for _, f in entries if f[b"kind"] == b"complete"]
    assert [c["run_id"] for c in completes] == [outcome.message.run_id]


def test_a_closed_day_processes_and_writes_nothing(fresh_database, servers, redis_client):
    before = redis_client.xlen(EOD_RUNS_STREAM) if redis_client.exists(EOD_RUNS_STREAM) else 0
    completed = _tickstock(
        "eod", "--date", "2025-07-04", database_url=fresh_database, redis_url=servers.redis_url
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    assert "Market closed" in completed.stdout and "nothing published" in completed.stdout
    assert (
        _scalar(
            fresh_database,
            "select count(*) from pg_namespace where nspname in ('ops', 'raw_polygon', 'marts')",
        )
        == 0
    )
    after = redis_client.xlen(EOD_RUNS_STREAM) if redis_client.exists(EOD_RUNS_STREAM) else 0
    assert after == before


def test_plan_prints_session_close_and_run_time(servers):
    early = _tickstock(
        "eod",
        "--plan",
        "--date",
        "2026-11-27",
        database_url="postgresql://unused/x",
        redis_url="redis://unused:1/0",
    )
    assert early.returncode == 0
    assert (
        "early close at" in early.stdout
        and "EOD runs at 2026-11-27 19:00 UTC (14:00 EST)" in early.stdout
    )
    closed = _tickstock(
        "eod",
        "--plan",
        "--date",
        "2026-11-26",
        database_url="postgresql://unused/x",
        redis_url="redis://unused:1/0",
    )
    assert "not a XNYS session" in closed.stdout


def test_a_killed_run_continues_where_it_stopped(first_run, servers):
    database_url, _, _ = first_run
    session = date(2025, 6, 18)
    env = {
        **os.environ,
        "TICKSTOCK_DATABASE_URL": database_url,
        "TICKSTOCK_REDIS_URL": servers.redis_url,
    }
    env.pop("POLYGON_API_KEY", None)
    tickstock = os.path.join(os.path.dirname(sys.executable), "tickstock")
    process = subprocess.Popen(
        [tickstock, "eod", "--date", session.isoformat()],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 300
    while not _step_running(database_url, session, "transform"):
        assert process.poll() is None, "the run ended before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.1)
    os.killpg(process.pid, signal.SIGKILL)  # no clean-up: the ledger says "running"
    process.wait()

    resumed = _job(database_url, servers.redis_url).run(session)
    assert resumed.resumed_run_id is not None
    assert resumed.message.status == "complete"
    steps = _steps(database_url, resumed.resumed_run_id)
    assert {name: steps[name] for name in ("reference", "lifecycle", "extract")} == {
        "reference": ("succeeded", 1),
        "lifecycle": ("succeeded", 1),
        "extract": ("succeeded", 1),
    }
    assert steps["transform"] == ("succeeded", 2)
    assert len(_session_bars(database_url, session)) == 15


def _step_running(database_url: str, session: date, step: str) -> bool:
    with connect(database_url) as connection, connection.cursor() as cursor:
        cursor.execute("select to_regclass('ops.eod_steps') is not null")
        if not cursor.fetchone()[0]:
            return False
        cursor.execute(
            "select exists (select from ops.eod_steps join ops.eod_runs using (run_id)"
            " where session_date = %s and step = %s and eod_steps.status = 'running')",
            (session, step),
        )
        return cursor.fetchone()[0]


def test_fund_aum_is_measured_and_the_oldest_details_are_due(first_run) -> None:
    database_url, _, _ = first_run
    shares, close, aum = (
        _scalar(database_url, sql, ("SPY",))
        for sql in (
            "select share_class_shares_outstanding from raw_polygon.ticker_details"
            " where ticker = %s",
            "select close from marts.ohlcv_daily where symbol = %s order by date desc limit 1",
            "select aum_millions from marts.symbols where symbol = %s",
        )
    )
    assert shares > 0 and aum == round(shares * close / 1_000_000, 1)

    # The next run's slice: ceil(tracked / 20) symbols with the oldest details.
    rotation = "select symbol from lifecycle.ticker_details_due where reason = 'rotation'"
    tracked = _scalar(
        database_url,
        "select count(*) from lifecycle.symbol_processing where is_active and eod_update",
    )
    with connect(database_url) as connection, connection.cursor() as cursor:
        cursor.execute(rotation)
        assert len(cursor.fetchall()) == math.ceil(tracked / 20)
        cursor.execute("delete from raw_polygon.ticker_details where ticker = 'QQQ'")
        cursor.execute(rotation)
        assert cursor.fetchall() == [("QQQ",)]  # never fetched: first
