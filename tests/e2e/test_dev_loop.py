"""`tickstock dev refresh | snapshot | reset` on a throwaway warehouse."""

from __future__ import annotations

from datetime import timedelta

import psycopg2
import pytest

from kernel.market_calendar import TradingCalendar
from orchestration.jobs.dev import drop_snapshot
from orchestration.jobs.eod import utc_now
from tests.support.cli import cli_env, run_cli
from tests.support.databases import throwaway_database

pytestmark = pytest.mark.e2e

MISSED = 5  # sessions the warehouse is behind when the test starts


def _rows(database_url: str, sql: str, params: tuple = ()) -> list[tuple]:
    with psycopg2.connect(database_url) as connection, connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _fingerprint(database_url: str) -> tuple:
    return _rows(
        database_url,
        "select count(*), md5(string_agg(concat_ws('|', symbol, date, open, close, volume),"
        " ',' order by symbol, date)) from marts.ohlcv_daily",
    )[0]


def _bars_after(database_url: str, day) -> dict[str, list]:
    bars: dict[str, list] = {}
    for symbol, date in _rows(
        database_url,
        "select symbol, date from marts.ohlcv_daily where date > %s order by symbol, date",
        (day,),
    ):
        bars.setdefault(symbol, []).append(date)
    return bars


@pytest.fixture(scope="module")
def behind(servers):
    """dev_etfs loaded up to MISSED sessions before the latest completed one."""
    calendar = TradingCalendar()
    latest = calendar.latest_completed_session(utc_now())
    recent = calendar.session_dates(latest - timedelta(days=40), latest)
    stale, missed = recent[-MISSED - 1], recent[-MISSED:]
    with throwaway_database(servers.database_url) as database_url:
        env = cli_env(database_url, servers.redis_url)
        args = ("--universe", "dev_etfs", "--from", str(stale - timedelta(days=20)))
        loaded = run_cli("load", *args, "--to", str(stale), env=env)
        assert loaded.returncode == 0, loaded.stdout + loaded.stderr
        try:
            yield database_url, env, stale, missed
        finally:
            drop_snapshot(database_url, "base")


def test_snapshot_refresh_reset_round_trip(behind) -> None:
    database_url, env, stale, missed = behind
    members = {s for (s,) in _rows(database_url, "select distinct symbol from marts.ohlcv_daily")}
    assert len(members) == 5
    saved = run_cli("dev", "snapshot", "base", env=env)
    assert saved.returncode == 0, saved.stdout + saved.stderr
    assert "as snapshot 'base'" in saved.stdout
    baseline = _fingerprint(database_url)

    refreshed = run_cli("dev", "refresh", env=env)
    assert refreshed.returncode == 0, refreshed.stdout + refreshed.stderr
    # Exactly the missed sessions, for exactly the warehouse's symbols.
    assert _bars_after(database_url, stale) == {symbol: missed for symbol in members}
    [(raw,)] = _rows(database_url, "select count(*) from raw_polygon.aggs_daily")
    assert raw == baseline[0] + len(members) * len(missed)
    again = run_cli("dev", "refresh", env=env)
    assert "Up to date" in again.stdout

    _rows(database_url, "delete from marts.ohlcv_daily where symbol = 'SPY' returning 1")
    reset = run_cli("dev", "reset", "base", env=env)
    assert reset.returncode == 0, reset.stdout + reset.stderr
    assert "Reset" in reset.stdout and "in " in reset.stdout
    assert _fingerprint(database_url) == baseline
    assert _bars_after(database_url, stale) == {}

    # The restored warehouse loads again: no dlt state of the discarded one is left.
    refreshed_again = run_cli("dev", "refresh", env=env)
    assert refreshed_again.returncode == 0, refreshed_again.stdout + refreshed_again.stderr
    assert _bars_after(database_url, stale) == {symbol: missed for symbol in members}


def test_prod_is_refused_and_unknown_snapshots_are_named(behind) -> None:
    _, env, _, _ = behind
    prod = run_cli("dev", "reset", "base", env={**env, "TICKSTOCK_ENV": "prod"})
    assert prod.returncode == 2
    assert "never touches a prod warehouse" in prod.stderr
    unknown = run_cli("dev", "reset", "nothing_here", env=env)
    assert unknown.returncode == 2
    assert "no snapshot 'nothing_here'" in unknown.stderr
