"""`tickstock load --timespan minute`: killed with SIGKILL, resumed, exact, and in the marts."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from datetime import UTC, date, datetime

import psycopg2
import pytest
import requests

from kernel.warehouse import connect
from tests.support.cli import TICKSTOCK, cli_env, run_cli, sandbox_process
from tests.support.databases import throwaway_database

pytestmark = pytest.mark.e2e

SESSION = date(2026, 6, 30)  # the EOD bootstrap brings six months of daily bars up to it
SYMBOLS = ("AAPL", "MSFT", "SPY")
MINUTES_FROM, MINUTES_TO = "2026-03-02", "2026-06-30"  # four monthly units per symbol
KEY = "resume-test-key"


def _rows(database_url: str, sql: str, params: tuple = ()) -> list[tuple]:
    with connect(database_url) as connection, connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _landed_units(database_url: str) -> set[str]:
    try:
        return {key for (key,) in _rows(database_url, "select unit_key from ops.load_units")}
    except psycopg2.errors.UndefinedTable:
        return set()


def _range_path(unit_key: str) -> str:
    _, timespan, ticker, start, end = unit_key.split("/")
    return f"/v2/aggs/ticker/{ticker}/range/1/{timespan}/{start}/{end}"


def _bars_served(base_url: str, unit_key: str) -> int:
    """What a clean fetch of one unit returns: every page, counted."""
    url, bars = base_url + _range_path(unit_key), 0
    params = {"adjusted": "true", "sort": "asc", "limit": 50_000}
    while url:
        page = requests.get(
            url, params=params, headers={"Authorization": f"Bearer {KEY}"}, timeout=30
        ).json()
        bars += len(page.get("results", []))
        url, params = page.get("next_url"), None
    return bars


@pytest.fixture(scope="module")
def market(tmp_path_factory):
    """The sandbox market as a separate API (latency lets the load be killed midway)."""
    log = tmp_path_factory.mktemp("sandbox") / "access.log"
    with sandbox_process(log, "--latency-ms", "40") as base_url:
        yield base_url, log


@pytest.fixture(scope="module")
def warehouse(servers, market):
    base_url, _ = market
    with throwaway_database(servers.database_url) as database_url:
        # One data source for the whole warehouse (another would be refused):
        # the bootstrap and the backfill both talk to the sandbox process.
        env = cli_env(
            database_url,
            servers.redis_url,
            POLYGON_API_KEY=KEY,
            POLYGON_BASE_URL=base_url,
            POLYGON_PLAN="paid",
        )
        bootstrap = run_cli("eod", "--date", SESSION.isoformat(), env=env)
        assert bootstrap.returncode == 0, bootstrap.stdout + bootstrap.stderr
        yield database_url, env


@pytest.fixture(scope="module")
def resumed(warehouse, market):
    """A minute backfill killed (SIGKILL) after a few units, then run again to the end."""
    database_url, env = warehouse
    base_url, log = market
    load_env = {
        **env,
        "POLYGON_CONCURRENCY": "2",
        "TICKSTOCK_LOAD_BATCH_ROWS": "1",  # one unit per dlt load
    }
    args = ["load", "--symbols", ",".join(SYMBOLS), "--timespan", "minute"]
    args += ["--from", MINUTES_FROM, "--to", MINUTES_TO]
    first = subprocess.Popen(
        [TICKSTOCK, *args],
        env=load_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 300
    while len(_landed_units(database_url)) < 3 and time.monotonic() < deadline:
        assert first.poll() is None, "the load ended before it could be killed"
        time.sleep(0.2)
    os.killpg(first.pid, signal.SIGKILL)
    first.wait()
    landed_before = _landed_units(database_url)
    requests_before = len(log.read_text().splitlines())

    second = run_cli(*args, env=load_env)
    requests_after = log.read_text().splitlines()[requests_before:]
    served = {key: _bars_served(base_url, key) for key in _landed_units(database_url)}
    return database_url, landed_before, second, requests_after, served


def test_the_killed_backfill_completes_on_the_second_run(resumed) -> None:
    _, landed_before, second, _, served = resumed
    assert second.returncode == 0, second.stdout + second.stderr
    assert 3 <= len(landed_before) < len(SYMBOLS) * 4
    assert f"({len(landed_before)} already there)" in second.stdout
    assert len(served) == len(SYMBOLS) * 4


def test_finished_units_are_not_downloaded_again(resumed) -> None:
    _, landed_before, _, requests_after, _ = resumed
    fetched_again = [
        line for line in requests_after for key in landed_before if f"{_range_path(key)} " in line
    ]
    assert fetched_again == []
    remaining = len(SYMBOLS) * 4 - len(landed_before)
    assert sum("/range/1/minute/" in line for line in requests_after) >= remaining


def test_the_rows_are_exactly_those_of_a_clean_fetch(resumed) -> None:
    database_url, _, _, _, served = resumed
    [(rows, distinct)] = _rows(
        database_url, "select count(*), count(distinct (ticker, t)) from raw_polygon.aggs_minute"
    )
    assert rows == distinct == sum(served.values())
    [(marts,)] = _rows(database_url, "select count(*) from marts.ohlcv_1min")
    assert marts == rows


def test_minute_timestamps_are_utc_and_inside_the_session(resumed) -> None:
    database_url, *_ = resumed
    [(column_type,)] = _rows(
        database_url,
        "select data_type from information_schema.columns "
        "where table_schema = 'marts' and table_name = 'ohlcv_1min' and column_name = 'ts'",
    )
    assert column_type == "timestamp with time zone"
    [(outside, first_ts)] = _rows(
        database_url,
        """
        select
            count(*) filter (
                where (ts at time zone 'America/New_York')::time not between '09:30' and '15:59'
                    or (ts at time zone 'America/New_York')::date <> session_date
            ),
            min(ts)
        from marts.ohlcv_1min
        """,
    )
    assert outside == 0
    # 2026-03-02 opens at 09:30 New York, which is 14:30 UTC (EST, before the DST change).
    assert first_ts.astimezone(UTC) == datetime(2026, 3, 2, 14, 30, tzinfo=UTC)


def test_a_sessions_minutes_aggregate_to_its_daily_bar_in_the_marts(resumed) -> None:
    database_url, *_ = resumed
    [(compared, mismatched)] = _rows(
        database_url,
        """
        with minutes as (
            select
                symbol,
                session_date,
                (array_agg(open order by ts))[1] as open,
                max(high) as high,
                min(low) as low,
                (array_agg(close order by ts desc))[1] as close,
                sum(volume) as volume
            from marts.ohlcv_1min
            group by symbol, session_date
        )
        select
            count(*),
            count(*) filter (
                where (minutes.open, minutes.high, minutes.low, minutes.close, minutes.volume)
                    is distinct from
                    (daily.open, daily.high, daily.low, daily.close, daily.volume)
            )
        from minutes
        inner join marts.ohlcv_daily as daily
            on minutes.symbol = daily.symbol and minutes.session_date = daily.date
        """,
    )
    sessions = _rows(
        database_url,
        "select count(*) from raw_calendar.sessions where session_date between %s and %s",
        (MINUTES_FROM, MINUTES_TO),
    )[0][0]
    assert compared == len(SYMBOLS) * sessions
    assert mismatched == 0


def test_a_scenario_loads_through_the_extract_path_into_the_marts(servers) -> None:
    # Scenarios are the built-in sandbox's: a warehouse of its own (load bootstraps it).
    with throwaway_database(servers.database_url) as database_url:
        _scenario_loads(database_url, cli_env(database_url, servers.redis_url))


def _scenario_loads(database_url: str, env: dict[str, str]) -> None:
    loaded = run_cli("load", "--scenario", "crash_2020", "--symbols", "SPY", env=env)
    assert loaded.returncode == 0, loaded.stdout + loaded.stderr
    [(sessions, drawdown)] = _rows(
        database_url,
        """
        with bars as (
            select close, max(close) over (order by date) as peak
            from marts.ohlcv_daily
            where symbol = 'SPY' and date between '2020-01-01' and '2020-12-31'
        )
        select count(*), min(close / peak - 1) from bars
        """,
    )
    assert sessions == 253  # every 2020 NYSE session
    # docs/sandbox.md: crash_2020 draws down about 35% (tolerance -40% to -30%).
    assert -0.40 <= drawdown <= -0.30
    unknown = run_cli("load", "--scenario", "crash_2099", env=env)
    assert unknown.returncode == 2
    assert "choose one of: crash_2020" in unknown.stderr
