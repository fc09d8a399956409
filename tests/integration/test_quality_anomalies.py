"""Each anomaly rule of quality.daily_bar_flags fires just past its threshold.

Hand-made daily series on the real NYSE calendar; the dbt models run for real.
Every rule gets one bar just over its threshold and one just under.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from kernel.market_calendar import TradingCalendar
from kernel.warehouse import connect, export_connection_env, query
from orchestration.jobs import loads
from orchestration.runtime.dbt_runner import run_dbt
from orchestration.runtime.services import Endpoints
from tests.support.databases import throwaway_database

pytestmark = pytest.mark.integration

SESSIONS = TradingCalendar().session_dates(date(2025, 1, 2), date(2025, 2, 28))  # 39 sessions
AS_OF = SESSIONS[-1]
THIN, LIQUID = 500, 2_000_000


def _series(symbol: str, **changes: dict[int, float]) -> list[tuple]:
    """Bars with a slowly rising close and flat volume, except where `changes` say."""
    bars = []
    for i, day in enumerate(SESSIONS):
        close = changes.get("close", {}).get(i, 10 + 0.01 * i)
        volume = changes.get("volume", {}).get(i, 1000)
        fmv = changes.get("fmv", {}).get(i)
        bars.append((symbol, day, close, close, close, close, volume, fmv))
    return bars


BARS = [
    *_series("SPIKE", volume={25: 10_100, 30: 9_900}),  # 10.1x and 9.9x the median
    *_series("STALE", close={i: 12.0 for i in range(10, 15)}),  # 5 bars unchanged
    *_series("NEARSTALE", close={i: 12.0 for i in range(10, 14)}),  # only 4
    *_series("JUMP", close={20: 12.6, 21: 12.6 * 0.85}),  # +23.6% (from 10.19), then -15%
    *_series("THINETF", volume={i: THIN for i in range(39)}, fmv={30: 11.0, 31: 10.40}),
    *_series("BIGETF", volume={i: LIQUID for i in range(39)}, fmv={30: 11.0}),
]
TYPES = {"THINETF": "ETF", "BIGETF": "ETF"}
# Listed on session 5 while already tracked, first bar only on session 8.
LATE = [bar for bar in _series("LATE") if bar[1] >= SESSIONS[8]]
LISTED = {"LATE": SESSIONS[5]}


@pytest.fixture(scope="module")
def warehouse(servers: Endpoints) -> Iterator[str]:
    with throwaway_database(servers.database_url) as url:
        export_connection_env(url)
        loads.land_calendar(url, TradingCalendar(), AS_OF)
        run_dbt("seed", "--select", "equity_types", target="dev")
        run_dbt("run", "--select", "stg_calendar__sessions", "dim_equity_types", target="dev")
        with connect(url) as connection, connection.cursor() as cursor:
            cursor.execute(
                "create table marts.ohlcv_daily (symbol text, date date, open numeric,"
                " high numeric, low numeric, close numeric, volume numeric, fmv numeric,"
                " split_factor numeric default 1, total_factor numeric default 1);"
                "create table marts.symbols (symbol text, type text, list_date date,"
                " delisted_at timestamptz, initial_load_date date,"
                " primary_exchange text, active boolean default true)"
            )
            cursor.executemany(
                "insert into marts.ohlcv_daily (symbol, date, open, high, low, close, volume, fmv)"
                " values (%s, %s, %s, %s, %s, %s, %s, %s)",
                BARS + LATE,
            )
            cursor.executemany(
                "insert into marts.symbols values (%s, %s, %s, null, %s)",
                [
                    (s, TYPES.get(s, "CS"), LISTED.get(s), SESSIONS[0])
                    for s in sorted({bar[0] for bar in BARS + LATE})
                ],
            )
        run_dbt(
            "build",
            "--select",
            "tag:quality",
            target="dev",
            variables={"quality_session": AS_OF.isoformat(), "quality_flag_sessions": 100},
        )
        yield url


@pytest.fixture(scope="module")
def flags(warehouse: str) -> set[tuple[str, date, str]]:
    return set(query(warehouse, "select symbol, date, kind from quality.daily_bar_flags"))


def test_volume_above_ten_times_the_median_is_a_spike(flags: set) -> None:
    spikes = {(s, d) for s, d, kind in flags if kind == "volume_spike"}
    assert spikes == {("SPIKE", SESSIONS[25])}


def test_five_unchanged_closes_are_stale(flags: set) -> None:
    stale = {(s, d) for s, d, kind in flags if kind == "stale_price"}
    assert stale == {("STALE", SESSIONS[14])}


def test_a_return_beyond_twenty_percent_is_a_price_jump(flags: set) -> None:
    jumps = {(s, d) for s, d, kind in flags if kind == "price_jump"}
    assert jumps == {("JUMP", SESSIONS[20])}


def test_only_a_thin_etf_far_from_its_fmv_is_flagged(flags: set) -> None:
    deviations = {(s, d) for s, d, kind in flags if kind == "fmv_deviation"}
    assert deviations == {("THINETF", SESSIONS[30])}


def test_a_symbol_listed_while_tracked_owes_every_session_since_listing(warehouse: str) -> None:
    gaps = query(warehouse, "select symbol, session_date from quality.daily_bar_gaps order by 1, 2")
    assert gaps == [("LATE", day) for day in SESSIONS[5:8]]
