"""Chaos: many commands on one warehouse (one writer at a time), another data source,
a database reset. Real Postgres and Redis; the sandbox market."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from kernel.settings import REPO_ROOT, STATE_DIR
from kernel.warehouse import connect, query
from orchestration.jobs.writer import WRITER_LOCK_KEY, WriterBusy, current_holder, writer_lock
from orchestration.runtime.services import Endpoints
from tests.support.cli import TICKSTOCK, cli_env, run_cli, sandbox_process
from tests.support.databases import throwaway_database

pytestmark = pytest.mark.integration


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


def test_eod_with_wait_0_refuses_naming_the_holder_and_starts_no_run(
    fresh_database: str, servers: Endpoints
) -> None:
    with writer_lock(fresh_database, "tickstock holdings load", say=lambda _: None):
        refused = run_cli(
            "eod",
            "--date",
            "2025-06-13",
            "--wait",
            "0",
            env=cli_env(fresh_database, servers.redis_url, TICKSTOCK_ENV="test"),
        )
    assert refused.returncode == 2, refused.stdout + refused.stderr
    message = " ".join(refused.stderr.split())
    assert f"being written by tickstock holdings load (pid {os.getpid()}, since" in message
    # Only the ops bookkeeping exists (the run ledger is opened first); no run, no data.
    assert _schemas(fresh_database) - {"public"} <= {"ops"}
    assert query(fresh_database, "select count(*) from ops.eod_runs") == [(0,)]


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


def test_server_timeouts_never_end_the_lock_or_cut_the_wait_short(fresh_database: str) -> None:
    name = urlsplit(fresh_database).path.lstrip("/")
    with connect(fresh_database, autocommit=True) as admin, admin.cursor() as cursor:
        # What a cautious administrator (or the platform's own defaults) may set.
        cursor.execute(f'alter database "{name}" set statement_timeout = 200')
        cursor.execute(f'alter database "{name}" set idle_session_timeout = 200')
    with writer_lock(fresh_database, "tickstock load", say=lambda _: None):
        time.sleep(0.5)  # idle past idle_session_timeout: still held
        assert current_holder(fresh_database).command == "tickstock load"
        started = time.monotonic()
        with (
            pytest.raises(WriterBusy, match=r"gave up after waiting 1\.5s"),
            writer_lock(_other_connection_url(fresh_database), "tickstock eod", 1.5, print),
        ):
            pass
        assert time.monotonic() - started > 1.4


def _other_connection_url(database_url: str) -> str:
    """The same database under a URL the process does not hold the lock by (a second writer)."""
    return database_url + ("&" if "?" in database_url else "?") + "application_name=second"


# ------------------------------------------------------------------ provenance


def test_the_embedded_defaults_keep_sandbox_and_real_data_apart() -> None:
    from kernel.settings import Settings
    from orchestration.runtime.services import embedded_database

    for env in ("dev", "test", "prod"):
        sandbox = Settings(None, None, None, "https://api.polygon.io", env)
        real = Settings(None, None, "a-key", "https://api.polygon.io", env)
        assert embedded_database(real) == f"tickstock_{env}"
        assert embedded_database(sandbox) == f"tickstock_{env}_sandbox"


def _counts(database_url: str) -> dict[str, int]:
    tables = (
        "raw_polygon._dlt_loads",
        "raw_polygon.grouped_daily",
        "raw_polygon.tickers",
        "marts.ohlcv_daily",
        "ops.eod_runs",
        "ops.load_sequence",
    )
    return {table: query(database_url, f"select count(*) from {table}")[0][0] for table in tables}


def _eod(database_url: str, servers: Endpoints, *args: str, **env: str):
    return run_cli(
        "eod", *args, env=cli_env(database_url, servers.redis_url, TICKSTOCK_ENV="test", **env)
    )


def test_a_run_against_another_source_is_refused_naming_both_and_writes_nothing(
    fresh_database: str, servers: Endpoints, tmp_path: Path
) -> None:
    first = _eod(fresh_database, servers)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    assert "data source of this warehouse recorded: sandbox:seed=42:size=dev" in first.stdout
    ((label, detail),) = query(
        fresh_database, "select data_source, source_detail from ops.warehouse"
    )
    assert label == "sandbox:seed=42:size=dev"
    assert detail == {"kind": "sandbox", "seed": 42, "size": "dev"}
    # Every raw bar and every mart row carries it.
    for table in ("raw_polygon.grouped_daily", "raw_polygon.aggs_daily", "marts.ohlcv_daily"):
        sources = query(fresh_database, f"select distinct data_source from {table}")
        assert sources == [(label,)], table
    before = _counts(fresh_database)

    # Another market (another seed) behind another base URL, with a key.
    with sandbox_process(tmp_path / "access.log", "--seed", "7") as other:
        refused = _eod(
            fresh_database,
            servers,
            "--force",
            POLYGON_API_KEY="some-key",
            POLYGON_BASE_URL=other,
            POLYGON_REQUESTS_PER_MINUTE="6000",
        )
        loaded = run_cli(
            "load",
            "--symbols",
            "SPY",
            "--months",
            "1",
            env=cli_env(
                fresh_database,
                servers.redis_url,
                TICKSTOCK_ENV="test",
                POLYGON_API_KEY="some-key",
                POLYGON_BASE_URL=other,
            ),
        )
        requests = (tmp_path / "access.log").read_text()
    for run in (refused, loaded):
        assert run.returncode == 2, run.stdout[-3000:] + run.stderr[-3000:]
        message = " ".join(run.stderr.split())
        assert "this warehouse holds data from sandbox:seed=42:size=dev" in message
        assert f"this run's source is api:{other}" in message
        assert "nothing was written" in message and "drop and create the database" in message
        assert "some-key" not in run.stdout + run.stderr
    assert "GET /" not in requests  # refused before a single request
    assert _counts(fresh_database) == before


# ------------------------------------------------------------------ resets


def test_eod_bootstraps_again_after_the_database_is_dropped_and_created_again(
    servers: Endpoints,
) -> None:
    with throwaway_database(servers.database_url) as database_url:
        first = _eod(database_url, servers)
        assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
        bars = query(database_url, "select count(*) from marts.ohlcv_daily")[0][0]
        assert bars > 0
        name = urlsplit(database_url).path.lstrip("/")
        with connect(servers.database_url, autocommit=True) as admin, admin.cursor() as cursor:
            cursor.execute(f'drop database "{name}" with (force)')
            cursor.execute(f'create database "{name}"')
        # Same URL, new database: no dlt state of the old one is read for it.
        again = _eod(database_url, servers)
        assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
        assert "bootstrapped=True" in again.stdout
        assert query(database_url, "select count(*) from marts.ohlcv_daily")[0][0] == bars
        assert query(database_url, "select count(*) from raw_polygon.aggs_daily")[0][0] > 0
    # No run leaves a dlt working folder behind.
    assert not list((STATE_DIR / "dlt").glob("*/run-*"))


# ------------------------------------------------------------------ concurrent commands

HOLDINGS = REPO_ROOT / "tests/data/shared/holdings_real/curtisbw_spy-satellite__spy_holdings.csv"


def _waiting_writers(database_url: str) -> int:
    sql = (
        "select count(*) from pg_locks where locktype = 'advisory' and not granted"
        " and objid::bigint = %(key)s & 4294967295 and objsubid = 1"
    )
    return int(query(database_url, sql, {"key": WRITER_LOCK_KEY})[0][0])


def _until(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def _marts(database_url: str) -> dict[str, list[tuple]]:
    bars = (
        "select symbol, date, open, high, low, close, volume, vwap, transactions,"
        " split_factor, total_factor, source, data_source from marts.ohlcv_daily order by 1, 2"
    )
    return {
        "ohlcv_daily": query(database_url, bars),
        "symbols": query(database_url, "select * from marts.symbols order by symbol"),
        "holdings": query(
            database_url, "select count(*) from marts.definition_groups where group_type = 'ETF'"
        ),
    }


@pytest.mark.e2e
def test_commands_started_during_a_load_wait_their_turn_and_build_what_a_serial_run_builds(
    servers: Endpoints, tmp_path: Path
) -> None:
    holdings = tmp_path / "SPY_holdings.csv"
    holdings.write_bytes(HOLDINGS.read_bytes())
    later = [("eod", "--force"), ("quality",), ("holdings", "load", str(holdings), "--etf", "SPY")]
    with (
        throwaway_database(servers.database_url) as concurrent,
        throwaway_database(servers.database_url) as serial,
    ):
        env = cli_env(concurrent, servers.redis_url, TICKSTOCK_ENV="test")
        started = [_start(("load", "--years", "1"), env, tmp_path / "load.log")]
        _until(
            lambda: (
                (holder := current_holder(concurrent)) is not None
                and holder.command == "tickstock load"
            ),
            120,
            "the load to take the writer lock",
        )
        # Started one by one while the load holds the lock, each queued behind the last.
        for number, command in enumerate(later, start=1):
            started.append(_start(command, env, tmp_path / f"{command[0]}.log"))
            _until(lambda n=number: _waiting_writers(concurrent) >= n, 120, f"{command} to wait")
        outputs = [_finish(process, log) for process, log in started]
        for command, output in zip(later, outputs[1:], strict=True):
            assert "waiting for tickstock load (pid" in output, (command, output[-2000:])

        serial_env = cli_env(serial, servers.redis_url, TICKSTOCK_ENV="test")
        for command in [("load", "--years", "1"), *later]:
            done = run_cli(*command, env=serial_env)
            assert done.returncode == 0, (command, done.stdout[-3000:], done.stderr[-3000:])

        concurrent_marts, serial_marts = _marts(concurrent), _marts(serial)
        assert len(concurrent_marts["ohlcv_daily"]) > 200  # 5 ETFs, a year
        assert concurrent_marts == serial_marts
        # Every load was numbered once, in the order the warehouse saw them commit.
        numbered = query(concurrent, "select count(*) from ops.load_sequence")[0][0]
        assert (
            numbered
            == query(concurrent, "select count(*) from raw_polygon._dlt_loads where status = 0")[0][
                0
            ]
        )


def _start(command: tuple[str, ...], env: dict[str, str], log: Path):
    handle = log.open("w")
    process = subprocess.Popen(
        [TICKSTOCK, *command], cwd=REPO_ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT
    )
    return process, log


def _finish(process: subprocess.Popen, log: Path) -> str:
    code = process.wait(timeout=900)
    output = log.read_text()
    assert code == 0, f"{process.args[1:]} exited {code}:\n{output[-4000:]}"
    return output


def test_an_upgraded_warehouse_numbers_its_loads_at_their_old_load_times(
    fresh_database: str,
) -> None:
    from orchestration.runtime.ops_schema import migrate

    with connect(fresh_database) as connection, connection.cursor() as cursor:
        cursor.execute(
            "create schema raw_polygon;"
            " create table raw_polygon._dlt_loads (load_id text, schema_name text, status int,"
            " inserted_at timestamptz, schema_version_hash text);"
            " insert into raw_polygon._dlt_loads values"
            " ('2', 'polygon', 0, '2026-01-02 22:00+00', 'h'),"
            " ('1', 'polygon', 0, '2026-01-01 22:00+00', 'h'),"
            " ('3', 'polygon', 1, '2026-01-03 22:00+00', 'h')"
        )
    migrate(fresh_database)
    numbered = query(
        fresh_database,
        "select load_sequence, load_id, (numbered_at at time zone 'UTC')::text"
        " from ops.load_sequence order by 1",
    )
    # Completed loads only, in their old order and at their old load times: the
    # marts built from them keep their watermarks.
    assert [(load_id, at) for _, load_id, at in numbered] == [
        ("1", "2026-01-01 22:00:00"),
        ("2", "2026-01-02 22:00:00"),
    ]
    assert numbered[0][0] < numbered[1][0]


def test_a_load_stamped_before_the_marts_watermark_still_reaches_them(
    fresh_database: str,
) -> None:
    """dlt's `inserted_at` is a client clock taken before commit; the marts never go by it."""
    from datetime import date

    from extract.polygon.endpoint import PolygonEndpoint
    from kernel.market_calendar import TradingCalendar
    from kernel.warehouse import export_connection_env
    from orchestration.jobs.loads import land_polygon
    from orchestration.runtime.dbt_runner import run_dbt
    from orchestration.runtime.endpoints import SANDBOX_API_KEY
    from sandbox.market import SandboxMarket
    from sandbox.server import SandboxServer

    sessions = TradingCalendar().session_dates(date(2025, 5, 1), date(2025, 5, 9))
    export_connection_env(fresh_database)
    with SandboxServer(SandboxMarket(seed=42)) as sandbox:
        api = PolygonEndpoint(sandbox.base_url, SANDBOX_API_KEY, True)
        # ohlcv_daily reads both raw bar tables: one AAPL bar creates the other.
        land_polygon(
            fresh_database,
            api,
            ("aggs_daily",),
            symbols=["AAPL"],
            start=sessions[0],
            end=sessions[0],
        )
        land_polygon(fresh_database, api, ("grouped_daily",), sessions=sessions[:2])
        run_dbt("run", "--select", "+ohlcv_daily", target="dev")
        late = land_polygon(fresh_database, api, ("grouped_daily",), sessions=sessions[2:3])
    assert late.rows.get("grouped_daily")
    # The late load's client stamp is older than every load the marts hold (it
    # committed after a build had moved the watermark past that time).
    with connect(fresh_database) as connection, connection.cursor() as cursor:
        cursor.execute(
            "update raw_polygon._dlt_loads set inserted_at = '2000-01-01'"
            " where load_id = (select max(load_id) from raw_polygon._dlt_loads)"
        )
    run_dbt("run", "--select", "+ohlcv_daily", target="dev")
    dates = query(fresh_database, "select distinct date from marts.ohlcv_daily order by 1")
    assert [day for (day,) in dates] == list(sessions[:3])
