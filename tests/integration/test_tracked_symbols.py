"""The EOD notice and the quality report count the same tracked symbols (one dbt rule).

A session NYSE holds and London does not (the 2025-05-05 bank holiday), with
a symbol listed in London that has no bar that day, a warrant (a type the EOD
does not track) without bars, and one tracked US symbol missing its bar. The
venue calendars are landed as the EOD's reference step lands them; the dbt
quality models run for real; the notice's numbers come from the function the
publish step calls.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import psycopg2
import pytest

from kernel.market_calendar import TradingCalendar
from kernel.warehouse import export_connection_env, query
from orchestration.jobs import loads
from orchestration.jobs.eod import read_compliance
from orchestration.runtime.dbt_runner import run_dbt
from orchestration.runtime.services import Endpoints
from tests.support.databases import throwaway_database

pytestmark = pytest.mark.integration

SESSIONS = TradingCalendar().session_dates(date(2025, 4, 22), date(2025, 5, 5))
SESSION = SESSIONS[-1]  # London is closed (Early May bank holiday), NYSE is open
SYMBOLS = [  # symbol, type, primary exchange
    ("FULL", "CS", "XNAS"),
    ("GAPPY", "CS", "XNYS"),
    ("LONDON", "CS", "XLON"),
    ("WARR", "WARRANT", "XNYS"),
]


def _bars() -> list[tuple]:
    bars = [("FULL", day) for day in SESSIONS]
    bars += [("GAPPY", day) for day in SESSIONS if day != SESSION]
    bars += [("LONDON", day) for day in SESSIONS if day != SESSION]
    return [(symbol, day, 10, 10, 10, 10, 1000) for symbol, day in bars]


@pytest.fixture(scope="module")
def warehouse(servers: Endpoints) -> Iterator[str]:
    with throwaway_database(servers.database_url) as url:
        export_connection_env(url)
        loads.land_calendar(url, TradingCalendar(), SESSION)
        with psycopg2.connect(url) as connection, connection.cursor() as cursor:
            cursor.execute(
                "create schema raw_polygon;"
                "create table raw_polygon.ticker_listings (ticker text, primary_exchange text);"
                "create schema marts;"
                "create table marts.ohlcv_daily (symbol text, date date, open numeric,"
                " high numeric, low numeric, close numeric, volume numeric, fmv numeric,"
                " split_factor numeric default 1, total_factor numeric default 1);"
                "create table marts.symbols (symbol text, type text, primary_exchange text,"
                " active boolean, list_date date, delisted_at timestamptz,"
                " initial_load_date date)"
            )
            cursor.executemany(
                "insert into raw_polygon.ticker_listings values (%s, %s)",
                [(symbol, mic) for symbol, _, mic in SYMBOLS],
            )
            cursor.executemany(
                "insert into marts.symbols values (%s, %s, %s, true, null, null, %s)",
                [(*symbol, SESSIONS[0]) for symbol in SYMBOLS],
            )
            cursor.executemany(
                "insert into marts.ohlcv_daily values (%s, %s, %s, %s, %s, %s, %s, null)",
                _bars(),
            )
        landed = loads.land_venue_calendars(url, SESSION)
        assert landed.get("venue_sessions", 0) > 0
        # Up to date: a second EOD lands nothing again.
        assert loads.land_venue_calendars(url, SESSION) == {}
        run_dbt("seed", "--select", "equity_types", target="dev")
        run_dbt("run", "--select", "stg_calendar__sessions", "dim_equity_types", target="dev")
        run_dbt(
            "build",
            "--selector",
            "quality",
            target="dev",
            variables={"quality_session": SESSION.isoformat()},
        )
        yield url


def test_only_venues_abroad_get_their_own_calendar(warehouse: str) -> None:
    venues = query(warehouse, "select distinct venue from raw_calendar.venue_sessions")
    assert venues == [("XLON",)]


def test_the_notice_and_the_report_agree(warehouse: str) -> None:
    notice = read_compliance(warehouse, SESSION)
    ((report_pct, report_expected, report_present),) = query(
        warehouse,
        "select completeness_pct, symbols_expected, symbols_present"
        " from quality.session_completeness where session_date = %s",
        (SESSION,),
    )
    assert (notice.expected, notice.processed) == (report_expected, report_present) == (2, 1)
    assert notice.processed_pct == float(report_pct) == 50.0
    assert notice.missing == ["GAPPY"]
    assert notice.not_eod_types == {"WARRANT": 1}


def test_a_symbol_listed_abroad_owes_bars_only_on_its_venues_sessions(warehouse: str) -> None:
    owed = query(
        warehouse,
        "select session_date from quality.expected_daily_bars where symbol = 'LONDON'"
        " order by session_date",
    )
    assert [day for (day,) in owed] == SESSIONS[:-1]
    assert query(warehouse, "select symbol from quality.daily_bar_gaps order by symbol") == [
        ("GAPPY",)
    ]
