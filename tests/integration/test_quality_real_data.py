"""The gap and anomaly rules on real price history and the real NYSE calendar.

The bars are real, unadjusted daily prices (tests/data/README.md says where
they come from): AAPL through its 2005-02-28 2-for-1 split and the 2004-06-11
and 2007-01-02 days of mourning, MSFT around the 2001-09-11..14 closure, IBM
around Hurricane Sandy (2012-10-29/30). The calendar is the one the EOD lands
from pandas-market-calendars; the dbt quality models and GX suites run for real.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from kernel.market_calendar import TradingCalendar
from kernel.warehouse import connect, export_connection_env, query
from orchestration.jobs import loads
from orchestration.runtime.dbt_runner import run_dbt
from orchestration.runtime.services import Endpoints
from tests.support.databases import throwaway_database

pytestmark = pytest.mark.integration

BARS = Path(__file__).parents[1] / "data" / "real_daily_bars.csv"
AS_OF = date(2012, 11, 30)
CLOSURES = [
    date(2001, 9, 11),
    date(2001, 9, 12),
    date(2001, 9, 13),
    date(2001, 9, 14),
    date(2004, 6, 11),  # national day of mourning, President Reagan
    date(2007, 1, 2),  # national day of mourning, President Ford
    date(2012, 10, 29),  # Hurricane Sandy
    date(2012, 10, 30),
]
AAPL_SPLIT = date(2005, 2, 28)  # 2-for-1: AAPL closed at 88.99, then 44.86
# Each sample ends where it was cut from a longer history: the day after its
# last bar is marked like a delisting, so coverage ends with the sample.
SAMPLE_ENDS = {"AAPL": date(2007, 2, 1), "MSFT": date(2001, 11, 1)}
# Microsoft's IPO, long before the history loaded for it: not owed.
LIST_DATES = {"MSFT": date(1986, 3, 13)}
WHOLE_HISTORY = {
    "quality_session": AS_OF.isoformat(),
    "quality_flag_sessions": 4000,
    "quality_gap_sessions": 4000,
}


def _build_quality(variables: dict) -> None:
    run_dbt("build", "--select", "tag:quality", target="dev", variables=variables)


FACTORS = ("stg_polygon__splits", "stg_polygon__dividends", "stg_polygon__dlt_loads",
           "int_adjustment_factors")  # fmt: skip


def _land_split(cursor, load_id: str) -> None:
    """AAPL's split as dlt lands it, in a completed load."""
    cursor.execute(
        "insert into raw_polygon._dlt_loads values (%s, 'polygon_reference', 0, now(), '')",
        (load_id,),
    )
    cursor.execute(
        "insert into raw_polygon.splits values ('AAPL', %s, 'E1', 1, 2, %s)",
        (AAPL_SPLIT, load_id),
    )


def _sample_bars() -> list[tuple[str, ...]]:
    with open(BARS, newline="") as handle:
        return [
            (r["symbol"], r["date"], r["open"], r["high"], r["low"], r["close"], r["volume"])
            for r in csv.DictReader(handle)
        ]


def _load_sample(database_url: str) -> None:
    bars = _sample_bars()
    with connect(database_url) as connection, connection.cursor() as cursor:
        cursor.execute(
            "create table marts.ohlcv_daily (symbol text, date date, open numeric,"
            " high numeric, low numeric, close numeric, volume numeric, fmv numeric,"
            " loaded_at timestamptz default '2013-03-01', split_factor numeric default 1,"
            " total_factor numeric default 1);"
            "create index on marts.ohlcv_daily (symbol, date);"
            "create table marts.symbols (symbol text, type text, list_date date,"
            " delisted_at timestamptz, initial_load_date date,"
            " primary_exchange text, active boolean default true);"
            "create schema raw_polygon;"
            "create table raw_polygon.splits (ticker text, execution_date date,"
            " id text, split_from numeric, split_to numeric, _dlt_load_id text);"
            "create table raw_polygon._dlt_loads (load_id text, schema_name text,"
            " status bigint, inserted_at timestamptz, schema_version_hash text)"
        )
        cursor.executemany(
            "insert into marts.ohlcv_daily (symbol, date, open, high, low, close, volume)"
            " values (%s, %s, %s, %s, %s, %s, %s)",
            bars,
        )
        for symbol in ("AAPL", "MSFT", "IBM"):
            cursor.execute(
                "insert into marts.symbols values (%s, 'CS', %s, %s, '2013-03-01')",
                (symbol, LIST_DATES.get(symbol), SAMPLE_ENDS.get(symbol)),
            )
        _land_split(cursor, "L1")
    # The bars stay as traded; the split becomes factors on AAPL's earlier bars.
    run_dbt("run", "--select", *FACTORS, target="dev")


@pytest.fixture(scope="module")
def warehouse(servers: Endpoints) -> Iterator[str]:
    """Real calendar, equity types and sample bars; quality models built over all of it."""
    with throwaway_database(servers.database_url) as url:
        export_connection_env(url)
        loads.land_calendar(url, TradingCalendar(), AS_OF)
        run_dbt("seed", "--select", "equity_types", target="dev")
        run_dbt("run", "--select", "stg_calendar__sessions", "dim_equity_types", target="dev")
        _load_sample(url)
        _build_quality(WHOLE_HISTORY)
        yield url


def _flags(url: str, kind: str) -> list[tuple[str, date]]:
    return query(
        url,
        "select symbol, date from quality.daily_bar_flags where kind = %s order by 1, 2",
        (kind,),
    )


def test_the_session_spine_has_no_special_closures(warehouse: str) -> None:
    spine = {d for (d,) in query(warehouse, "select session_date from quality.trading_sessions")}
    assert not spine & set(CLOSURES)
    assert {date(2001, 9, 10), date(2001, 9, 17), date(2012, 10, 26), date(2012, 10, 31)} <= spine


def test_closures_are_never_gaps_on_real_history(warehouse: str) -> None:
    assert query(warehouse, "select symbol, session_date from quality.daily_bar_gaps") == []
    completeness = dict(
        query(
            warehouse,
            "select session_date, completeness_pct from quality.session_completeness"
            " where session_date in ('2001-09-17', '2004-06-14', '2007-01-03', '2012-10-31')",
        )
    )
    assert set(completeness.values()) == {100}
    assert len(completeness) == 4


def test_coverage_follows_the_sample_and_its_end(warehouse: str) -> None:
    coverage = {
        symbol: (start, end, sessions)
        for symbol, start, end, sessions in query(
            warehouse,
            "select symbol, coverage_start, coverage_end, expected_sessions"
            " from quality.symbol_coverage",
        )
    }
    bars = dict(query(warehouse, "select symbol, count(*) from marts.ohlcv_daily group by 1"))
    assert coverage["MSFT"][:2] == (date(2001, 8, 1), date(2001, 10, 31))
    assert query(
        warehouse, "select start_basis from quality.symbol_coverage where symbol = 'MSFT'"
    ) == [("first_bar",)]
    assert coverage["IBM"][:2] == (date(2012, 10, 1), AS_OF)
    # Every expected session has its real bar: the calendar and the data agree.
    assert {symbol: sessions for symbol, (_, _, sessions) in coverage.items()} == bars


def test_the_split_explains_its_price_jump(warehouse: str) -> None:
    assert ("AAPL", AAPL_SPLIT) not in _flags(warehouse, "price_jump")


def test_a_missing_real_bar_next_to_a_closure_is_exactly_one_gap(warehouse: str) -> None:
    with connect(warehouse) as connection, connection.cursor() as cursor:
        cursor.execute(
            "delete from marts.ohlcv_daily where symbol = 'MSFT' and date = '2001-09-17'"
        )
        cursor.execute("delete from raw_polygon.splits")
        # What the factors are without the split record (a fresh warehouse's).
        cursor.execute("update marts.ohlcv_daily set split_factor = 1, total_factor = 1")
        cursor.execute("delete from intermediate.int_adjustment_factors")
    try:
        _build_quality(WHOLE_HISTORY)
        gaps = query(warehouse, "select symbol, session_date from quality.daily_bar_gaps")
        assert gaps == [("MSFT", date(2001, 9, 17))]
        # Without the split's factors, the halving of AAPL's price is an anomaly.
        jump = query(
            warehouse,
            "select measured_value::float from quality.daily_bar_flags"
            " where symbol = 'AAPL' and date = %s and kind = 'price_jump'",
            (AAPL_SPLIT,),
        )
        assert jump == [(pytest.approx(44.86 / 88.99 - 1, abs=1e-6),)]
    finally:
        _load_split_and_bar_back(warehouse)


def _load_split_and_bar_back(url: str) -> None:
    (bar,) = [b for b in _sample_bars() if b[:2] == ("MSFT", "2001-09-17")]
    with connect(url) as connection, connection.cursor() as cursor:
        _land_split(cursor, "L2")
        cursor.execute(
            "insert into marts.ohlcv_daily (symbol, date, open, high, low, close, volume)"
            " values (%s, %s, %s, %s, %s, %s, %s)",
            bar,
        )
    # An incremental run: the newly landed split re-factors AAPL's bars.
    run_dbt("run", "--select", "int_adjustment_factors", target="dev")
    assert query(
        url,
        "select split_factor from marts.ohlcv_daily where symbol = 'AAPL' and date = %s",
        (date(2005, 2, 25),),
    ) == [(0.5,)]
    _build_quality(WHOLE_HISTORY)


def test_gx_suites_pass_on_a_real_split_session(warehouse: str) -> None:
    from expectations.ohlcv_daily import validate_all

    run = validate_all(warehouse, AAPL_SPLIT)
    for suite in ("ohlcv_daily__suite", "session_completeness__suite", "daily_bar_gaps__suite"):
        assert run.outcomes[suite].success, (suite, run.outcomes[suite].failed)
    assert run.outcomes["ohlcv_daily__suite"].rows == 1
