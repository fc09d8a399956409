"""Proof by time travel: the EOD session by session across a split, a reverse split
and a dividend, against the sandbox as of each session's run time.

A warehouse bootstrapped before NVDA's 10-for-1 split (2024-06-10) lives
through it, XLF's 1-for-2 reverse split (2024-06-11) and SPY's dividend
(2024-06-12), one `tickstock eod --date D` a session. At the end its adjusted
history equals what the API serves with `adjusted=true` as of the last day,
its as-traded history what it serves with `adjusted=false`, no split day is a
price jump while a scripted bad print is, and the notices list the actions.
Then decades: MSFT from its 1986 listing (the sandbox serves bars from its
2015 origin; the session spine reaches back to 1980), and a failing dbt test
reported by name, without a traceback.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import requests

from kernel.warehouse import connect
from orchestration.runtime.services import Endpoints
from sandbox.market import SandboxMarket
from sandbox.server import SandboxServer
from sandbox.sessions import ORIGIN
from tests.support.cli import cli_env, run_cli
from tests.support.databases import throwaway_database

pytestmark = pytest.mark.e2e

NY = ZoneInfo("America/New_York")
BOOTSTRAP = date(2024, 6, 7)
SESSIONS = (date(2024, 6, 10), date(2024, 6, 11), date(2024, 6, 12))
LAST = SESSIONS[-1]
SYMBOLS = ("NVDA", "XLF", "SPY", "AAPL")
PRICES = ("open", "high", "low", "close")


def _rows(database_url: str, sql: str, params: tuple = ()) -> list[tuple]:
    with connect(database_url) as connection, connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


@pytest.fixture(scope="module")
def lived(servers: Endpoints) -> Iterator[tuple[str, dict, dict[date, dict]]]:
    """A warehouse that ran the EOD from BOOTSTRAP through LAST, session by session."""
    with throwaway_database(servers.database_url) as database_url:
        env = cli_env(database_url, servers.redis_url)
        notices: dict[date, dict] = {}
        for session in (BOOTSTRAP, *SESSIONS):
            done = run_cli("eod", "--date", session.isoformat(), env=env)
            assert done.returncode == 0, done.stdout + done.stderr
            record = next(line for line in done.stdout.splitlines() if "Run record:" in line)
            notices[session] = json.loads(Path(record.split("Run record:")[1].strip()).read_text())
        yield database_url, env, notices


def _api(ticker: str, adjusted: str) -> dict[date, dict]:
    """Bars of `ticker` as the API serves them as of LAST's evening."""
    instant = datetime.combine(LAST, time(17), NY)
    with SandboxServer(SandboxMarket(42), clock=lambda: instant) as server:
        url = f"{server.base_url}/v2/aggs/ticker/{ticker}/range/1/day/2023-01-01/{LAST}"
        body = requests.get(
            url,
            params={"adjusted": adjusted, "limit": 50000},
            headers={"Authorization": "Bearer key"},
            timeout=30,
        ).json()
    return {datetime.fromtimestamp(row["t"] / 1000, NY).date(): row for row in body["results"]}


def _stored(database_url: str, table: str, ticker: str) -> dict[date, tuple]:
    rows = _rows(
        database_url,
        f"select date, open, high, low, close, volume from marts.{table}"
        " where symbol = %s order by date",
        (ticker,),
    )
    return {row[0]: row[1:] for row in rows}


@pytest.mark.parametrize("ticker", SYMBOLS)
def test_adjusted_history_equals_a_fresh_adjusted_backfill(lived, ticker: str) -> None:
    database_url, _, _ = lived
    stored = _stored(database_url, "ohlcv_daily_adjusted", ticker)
    served = _api(ticker, "true")
    assert stored and set(stored) <= set(served)
    for day, bar in stored.items():
        expected = tuple(Decimal(str(served[day][key])) for key in ("o", "h", "l", "c", "v"))
        assert bar == expected, (ticker, day)


@pytest.mark.parametrize("ticker", SYMBOLS)
def test_as_traded_history_equals_the_unadjusted_api(lived, ticker: str) -> None:
    database_url, _, _ = lived
    stored = _stored(database_url, "ohlcv_daily", ticker)
    served = _api(ticker, "false")
    for day, bar in stored.items():
        expected = tuple(Decimal(str(served[day][key])) for key in ("o", "h", "l", "c", "v"))
        assert bar == expected, (ticker, day)
    # the raw rows really are as traded: NVDA's last bar before its split is ten times up
    if ticker == "NVDA":
        assert stored[date(2024, 6, 7)][3] > 5 * stored[date(2024, 6, 10)][3]


def test_factors_follow_the_actions(lived) -> None:
    database_url, _, _ = lived
    factors = dict(
        _rows(
            database_url,
            "select symbol, split_factor from marts.ohlcv_daily where date = '2024-06-07'"
            " and symbol = any(%s)",
            (list(SYMBOLS),),
        )
    )
    assert factors == {"NVDA": Decimal("0.1"), "XLF": Decimal(2), "SPY": 1, "AAPL": 1}
    (spy,) = _rows(
        database_url,
        "select total_factor, (select close from marts.ohlcv_daily where symbol = 'SPY'"
        " and date = '2024-06-11') from marts.ohlcv_daily where symbol = 'SPY'"
        " and date = '2024-06-11'",
    )
    assert abs(spy[0] - (1 - Decimal("1.7402") / spy[1])) < Decimal("1e-17")


def test_no_split_day_is_a_price_jump_and_a_bad_print_still_is(lived) -> None:
    database_url, env, _ = lived
    flagged = "select symbol, date from quality.daily_bar_flags where kind = 'price_jump'"
    jumps = set(_rows(database_url, flagged))
    assert ("NVDA", date(2024, 6, 10)) not in jumps and ("XLF", date(2024, 6, 11)) not in jumps
    # A vendor's 25 % bad print on AAPL's 2024-06-11 close, as if it had been delivered.
    _rows(
        database_url,
        "update marts.ohlcv_daily set close = round(close * 1.25, 2),"
        " high = greatest(high, round(close * 1.25, 2))"
        " where symbol = 'AAPL' and date = '2024-06-11' returning symbol",
    )
    checked = run_cli("quality", "--date", LAST.isoformat(), "--no-backfill", env=env)
    assert "Traceback" not in checked.stderr, checked.stderr
    jumps = set(_rows(database_url, flagged))
    assert ("AAPL", date(2024, 6, 11)) in jumps
    assert ("NVDA", date(2024, 6, 10)) not in jumps and ("XLF", date(2024, 6, 11)) not in jumps


def test_the_notices_list_the_actions(lived) -> None:
    _, _, notices = lived
    assert notices[SESSIONS[0]]["corporate_actions"]["splits"] == [
        {"symbol": "NVDA", "split_from": 1.0, "split_to": 10.0}
    ]
    assert notices[SESSIONS[1]]["corporate_actions"]["splits"] == [
        {"symbol": "XLF", "split_from": 2.0, "split_to": 1.0}
    ]
    assert notices[SESSIONS[2]]["corporate_actions"]["dividends"] == [
        {"symbol": "SPY", "cash_amount": 1.7402}
    ]


def test_decades_of_history_and_a_failing_node_without_traceback(lived) -> None:
    database_url, env, _ = lived
    loaded = run_cli("load", "--symbols", "MSFT", "--from", "1986-03-13", "--to", "2024-06-12",
                     env=env)  # fmt: skip
    assert loaded.returncode == 0, loaded.stdout + loaded.stderr
    ((first, bars),) = _rows(
        database_url, "select min(date), count(*) from marts.ohlcv_daily where symbol = 'MSFT'"
    )
    # The sandbox's history starts at its origin; the session spine goes back to 1980.
    assert first == date(2015, 1, 2) and first >= ORIGIN and bars > 2000
    ((oldest,),) = _rows(database_url, "select min(session_date) from quality.trading_sessions")
    assert oldest <= date(1980, 1, 2)
    assert "Traceback" not in loaded.stderr
    # A Saturday bar in a raw load (one that committed late): the sessions test
    # over the bars the next build adds fails it.
    _rows(
        database_url,
        "create temp table saturday as select * from raw_polygon.aggs_daily"
        " where ticker = 'MSFT' limit 1;"
        " update saturday set _dlt_load_id = 'by-hand',"
        " t = extract(epoch from timestamptz '2024-06-08 00:00 America/New_York') * 1000;"
        " insert into raw_polygon._dlt_loads (load_id, schema_name, status, inserted_at)"
        " values ('by-hand', 'polygon', 0, now());"
        " insert into raw_polygon.aggs_daily select * from saturday; select 1",
    )
    failed = run_cli("load", "--symbols", "MSFT", "--from", "2024-06-10", "--to", "2024-06-12",
                     env=env)  # fmt: skip
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "Traceback" not in failed.stdout + failed.stderr
    assert "assert_ohlcv_daily_dates_are_sessions" in failed.stderr, failed.stderr
