"""Built session by session, indicators_daily and risk_daily equal a full refresh
to the last digit, and each incremental run computes only what changed.

The history (real prices, tests/test_indicators.py's benchmarks) arrives as
an EOD would see it: a first history, single sessions across a 252-bar block
boundary, a batch with one AAPL bar missing that arrives later (a gap
filled), a dividend of AAPL and one of SPY (factors change: the symbol is
rebuilt, and with SPY every symbol's risk figures), then the rest with
IBM's first bars (an IPO: warm-up nulls). MSFT stops early (a delisting).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta

import pytest

from kernel.warehouse import connect, export_connection_env, query
from orchestration.runtime.services import Endpoints
from tests.integration.test_indicators import (
    AAPL_SPLIT,
    SECTORS,
    benchmark_bars,
    real_bars,
)
from tests.support import analytics
from tests.support.databases import throwaway_database

pytestmark = pytest.mark.integration

Keep = Callable[[analytics.Bar], bool]
LINEAGE = {"bar_loaded_at", "computed_at", "indicators_computed_at"}


def _rows(url: str, table: str) -> list[tuple]:
    columns = [
        name
        for (name,) in query(
            url,
            "select column_name from information_schema.columns"
            " where table_schema = 'marts' and table_name = %s order by ordinal_position",
            (table,),
        )
        if name not in LINEAGE
    ]
    return query(url, f"select {', '.join(columns)} from marts.{table} order by symbol, date")


def _latest_run(url: str, table: str) -> dict[str, int]:
    """Rows per symbol computed by the latest run."""
    return dict(
        query(
            url,
            f"select symbol, count(*) from marts.{table}"
            f" where computed_at = (select max(computed_at) from marts.{table}) group by 1",
        )
    )


class History:
    """Delivers the bars in EOD-like steps, one load per step."""

    def __init__(self, url: str) -> None:
        bars = real_bars()
        self.url = url
        self.pending = sorted(bars + benchmark_bars(bars), key=lambda bar: (bar[1], bar[0]))
        self.aapl_dates = sorted(bar[1] for bar in bars if bar[0] == "AAPL")
        self.loaded_at = datetime(2020, 1, 2, tzinfo=UTC)

    def deliver(self, keep: Keep = lambda bar: True) -> None:
        chosen = [bar for bar in self.pending if keep(bar)]
        self.pending = [bar for bar in self.pending if not keep(bar)]
        self.loaded_at += timedelta(hours=1)
        analytics.deliver(self.url, chosen, self.loaded_at)

    def through(self, aapl_session: int) -> Keep:
        last = self.aapl_dates[aapl_session - 1]
        return lambda bar: bar[1] <= last


@pytest.fixture(scope="module")
def built(servers: Endpoints) -> Iterator[tuple[str, dict[str, dict[str, int]]]]:
    """The history built step by step; yields the url and what some steps computed."""
    with throwaway_database(servers.database_url) as url:
        export_connection_env(url)
        analytics.create_inputs(url, SECTORS)
        history = History(url)
        computed: dict[str, dict[str, int]] = {}

        history.deliver(history.through(500))
        analytics.adjust(url, "AAPL", AAPL_SPLIT, split=0.5, dividend=1.0)
        analytics.build()
        for session in range(501, 506):  # bar 504 closes a 252-bar block
            history.deliver(history.through(session))
            analytics.build()
        computed["session"] = _latest_run(url, "indicators_daily")

        held_back = history.aapl_dates[549]
        batch = history.through(600)
        history.deliver(lambda bar: batch(bar) and bar[:2] != ("AAPL", held_back))
        analytics.build()
        history.deliver(lambda bar: bar[:2] == ("AAPL", held_back))
        analytics.build()
        computed["gap"] = _latest_run(url, "indicators_daily")

        analytics.adjust(url, "AAPL", history.aapl_dates[580], split=1.0, dividend=0.99)
        analytics.build()
        computed["aapl_dividend"] = _latest_run(url, "indicators_daily")

        analytics.adjust(url, "SPY", history.aapl_dates[590], split=1.0, dividend=0.995)
        analytics.build()
        computed["spy_dividend"] = _latest_run(url, "risk_daily")
        computed["since_spy"] = dict(
            query(
                url,
                "select symbol, count(*) from marts.risk_daily where date >= (select min(date)"
                " from marts.risk_daily where symbol = 'SPY') group by 1",
            )
        )

        # Daily runs continued from the stored state, across a 252-bar block
        # boundary (bar 756) and with sessions whose leaving bar held the
        # 52-week extreme (its extremes read from the stored rows in the window).
        for session in range(601, 626):
            history.deliver(history.through(session))
            analytics.build()
        computed["appended"] = _latest_run(url, "risk_daily")

        # AAPL moves to another sector: its pair sums restart from its first row.
        with connect(url) as connection, connection.cursor() as cursor:
            cursor.execute("update marts.symbols set sector = 'Energy' where symbol = 'AAPL'")
        history.deliver(history.through(626))
        analytics.build()
        computed["resectored"] = _latest_run(url, "risk_daily")

        # New factors on AAPL's last bar alone (as factors anchored to the
        # first bar would change): seen on the bar before the new one.
        with connect(url) as connection, connection.cursor() as cursor:
            cursor.execute(
                "update marts.ohlcv_daily_adjusted set total_factor = total_factor * 0.99,"
                " tr_close = tr_close * 0.99 where symbol = 'AAPL' and date = %s",
                (history.aapl_dates[625],),
            )
        history.deliver(history.through(627))
        analytics.build()
        computed["last_bar_refactored"] = _latest_run(url, "indicators_daily")

        history.deliver()
        analytics.build()
        yield url, computed


def test_incremental_equals_full_refresh_to_the_last_digit(
    built: tuple[str, dict[str, dict[str, int]]],
) -> None:
    url, _ = built
    incremental = {table: _rows(url, table) for table in ("indicators_daily", "risk_daily")}
    analytics.build(full_refresh=True)
    for table, rows in incremental.items():
        refreshed = _rows(url, table)
        assert len(rows) == len(refreshed) == 795 + 2 * 691 - 3
        mismatches = [(a, b) for a, b in zip(rows, refreshed, strict=True) if a != b]
        assert not mismatches, f"{table}: {len(mismatches)} rows differ, first {mismatches[0]}"


def test_a_daily_run_computes_only_the_new_session(
    built: tuple[str, dict[str, dict[str, int]]],
) -> None:
    _, computed = built
    assert computed["session"] == {"AAPL": 1, "SPY": 1, "XLK": 1}
    assert computed["appended"] == {"AAPL": 1, "SPY": 1, "XLK": 1}


def test_a_new_sector_rebuilds_the_symbols_risk(
    built: tuple[str, dict[str, dict[str, int]]],
) -> None:
    _, computed = built
    assert computed["resectored"] == {"AAPL": 626, "SPY": 1, "XLK": 1}


def test_a_filled_gap_recomputes_from_the_late_bar(
    built: tuple[str, dict[str, dict[str, int]]],
) -> None:
    _, computed = built
    assert computed["gap"] == {"AAPL": 600 - 549}


def test_changed_factors_rebuild_just_that_symbol(
    built: tuple[str, dict[str, dict[str, int]]],
) -> None:
    url, computed = built
    assert computed["aapl_dividend"] == {"AAPL": 600}
    assert computed["last_bar_refactored"] == {"AAPL": 627, "SPY": 1, "XLK": 1}
    # SPY's dividend rebuilds its rows, and the risk figures of every symbol
    # measured against it (MSFT's sessions predate SPY's: untouched).
    assert computed["spy_dividend"] == computed["since_spy"]
    assert set(computed["since_spy"]) == {"AAPL", "SPY", "XLK"}
    assert query(url, "select count(*) from marts.indicators_daily where symbol = 'IBM'") == [(42,)]


def test_ipo_and_delisting(built: tuple[str, dict[str, dict[str, int]]]) -> None:
    url, _ = built
    first, last = (
        query(
            url,
            "select min(session_index), max(date) from marts.indicators_daily where symbol = %s",
            ("IBM",),
        )[0],
        query(url, "select max(date) from marts.indicators_daily where symbol = 'MSFT'")[0][0],
    )
    assert first == (1, date(2012, 11, 30))
    assert last == date(2001, 10, 31)


STATE_COLUMNS = {
    "indicators_daily": [
        "high",
        "low",
        "running_close",
        "running_close_sq",
        "window_high_252",
        "window_low_252",
    ],
    "risk_daily": ["session_index", "running_return_sum", "window_drawdown_252"],
}


def _rows_by_name(url: str, table: str) -> list[dict[str, object]]:
    rows = query(url, f"select to_jsonb(t) from marts.{table} as t order by symbol, date")
    return [{k: v for k, v in row.items() if k not in LINEAGE} for (row,) in rows]


def test_a_table_without_state_columns_is_rebuilt_by_the_next_run(servers: Endpoints) -> None:
    """A warehouse built before the state columns: the next EOD's run adds
    them, rebuilds the rows and the (symbol, session_index) index, with no
    --full-refresh."""
    with throwaway_database(servers.database_url) as url:
        export_connection_env(url)
        analytics.create_inputs(url, SECTORS)
        history = History(url)
        history.deliver(history.through(400))
        analytics.build()
        with connect(url) as connection, connection.cursor() as cursor:
            for table, columns in STATE_COLUMNS.items():
                cursor.execute(
                    "select indexrelid::regclass::text from pg_index"
                    " where indrelid = %s::regclass"
                    " and pg_get_indexdef(indexrelid) like '%%(symbol, session_index)'",
                    (f"marts.{table}",),
                )
                for (index,) in cursor.fetchall():
                    cursor.execute(f"drop index {index}")
                drops = ", ".join(f"drop column {column}" for column in columns)
                cursor.execute(f"alter table marts.{table} {drops}")

        history.deliver(history.through(401))
        analytics.build()
        upgraded = {table: _rows_by_name(url, table) for table in STATE_COLUMNS}
        for table, columns in STATE_COLUMNS.items():
            assert set(columns) <= set(upgraded[table][0])
            ((indexes,),) = query(
                url,
                "select count(*) from pg_index where indrelid = %s::regclass"
                " and pg_get_indexdef(indexrelid) like '%%(symbol, session_index)'",
                (f"marts.{table}",),
            )
            assert indexes == 1
        # The next session continues from the rebuilt state.
        history.deliver(history.through(402))
        analytics.build()
        assert _latest_run(url, "indicators_daily") == {"AAPL": 1, "SPY": 1, "XLK": 1}
        continued = {table: _rows_by_name(url, table) for table in STATE_COLUMNS}
        analytics.build(full_refresh=True)
        for table, rows in continued.items():
            assert rows == _rows_by_name(url, table), table
