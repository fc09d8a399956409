"""indicators_daily against TA-Lib and risk_daily against numpy, on real prices.

The bars are the real daily prices of tests/data/real_daily_bars.csv (AAPL
2004-2007 with 692 sessions, MSFT and IBM with a few dozen: their long
indicators stay in warm-up, which must read null). AAPL's 2005-02-28 2-for-1
split is applied as the adjusted model would, and a dividend factor makes its
total-return closes differ from its closes. SPY and XLK, the benchmarks of
the risk figures, are synthetic series on AAPL's sessions (SPY misses a few).

TA-Lib (the `talib` package, a dev dependency) is the oracle only: the test
runs it on the same adjusted series read back from the warehouse. Every
value must equal TA-Lib's within 1e-9 relative, and be null exactly where
TA-Lib has none (the warm-up).
"""

from __future__ import annotations

import csv
import itertools
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pytest
import redis
import talib

from kernel.warehouse import connect, export_connection_env, query
from orchestration.jobs.relationships import RelationshipCache, publish_relationships
from orchestration.runtime.dbt_runner import run_dbt
from orchestration.runtime.services import Endpoints
from tests.support import analytics
from tests.support.databases import throwaway_database
from tests.support.private_redis import PrivateRedis

pytestmark = pytest.mark.integration

BARS = Path(__file__).parents[1] / "data" / "real_daily_bars.csv"
SECTORS = {
    "AAPL": "Information Technology",
    "MSFT": "Information Technology",
    "IBM": "Information Technology",
    "SPY": None,
    "XLK": None,
}
AAPL_SPLIT = date(2005, 2, 28)
AAPL_DIVIDEND = (date(2006, 6, 1), 0.98)
SPY_MISSING = (date(2005, 3, 15), date(2006, 2, 1), date(2006, 11, 9))
RISK_FREE_RATE = 0.04  # dbt_project.yml's default
RELATIVE = 1e-9


def real_bars() -> list[analytics.Bar]:
    with open(BARS, newline="") as handle:
        return [
            (
                row["symbol"],
                date.fromisoformat(row["date"]),
                float(row["open"]),
                float(row["high"]),
                float(row["low"]),
                float(row["close"]),
                float(row["volume"]),
            )
            for row in csv.DictReader(handle)
        ]


def benchmark_bars(bars: list[analytics.Bar]) -> list[analytics.Bar]:
    """SPY and XLK on AAPL's sessions: XLK follows half of AAPL's moves."""
    aapl = [bar for bar in bars if bar[0] == "AAPL"]
    generator = np.random.default_rng(19)
    spy, xlk = 100.0, 50.0
    made: list[analytics.Bar] = []
    for previous, bar in itertools.pairwise(aapl):
        spy *= 1 + generator.normal(0.0003, 0.01)
        xlk *= 1 + 0.5 * (bar[5] / previous[5] - 1) + generator.normal(0, 0.008)
        for symbol, close in (("SPY", spy), ("XLK", xlk)):
            if symbol == "SPY" and bar[1] in SPY_MISSING:
                continue
            made.append((symbol, bar[1], close, close * 1.01, close * 0.99, close, 1e6))
    return made


def load_history(url: str) -> None:
    bars = real_bars()
    analytics.create_inputs(url, SECTORS)
    analytics.deliver(url, bars + benchmark_bars(bars), datetime(2020, 1, 2, tzinfo=UTC))
    analytics.adjust(url, "AAPL", AAPL_SPLIT, split=0.5, dividend=1.0)
    analytics.adjust(url, "AAPL", AAPL_DIVIDEND[0], split=1.0, dividend=AAPL_DIVIDEND[1])


@pytest.fixture(scope="module")
def warehouse(servers: Endpoints) -> Iterator[str]:
    with throwaway_database(servers.database_url) as url:
        export_connection_env(url)
        load_history(url)
        analytics.build(full_refresh=True)
        yield url


def series(url: str, symbol: str) -> dict[str, np.ndarray]:
    """The adjusted inputs, as float64 arrays in date order."""
    rows = query(
        url,
        "select open, high, low, close, volume, tr_close from marts.ohlcv_daily_adjusted"
        " where symbol = %s order by date",
        (symbol,),
    )
    columns = np.array(rows, dtype=float).T
    return dict(zip(("open", "high", "low", "close", "volume", "tr_close"), columns, strict=True))


def column(url: str, table: str, symbol: str, name: str) -> np.ndarray:
    rows = query(
        url, f"select {name} from marts.{table} where symbol = %s order by date", (symbol,)
    )
    return np.array([np.nan if value is None else float(value) for (value,) in rows])


def assert_matches(actual: np.ndarray, expected: np.ndarray, name: str) -> None:
    assert actual.shape == expected.shape, name
    warm_up = np.isnan(expected)
    assert np.array_equal(np.isnan(actual), warm_up), f"{name}: null where the oracle is not"
    error = np.abs(actual[~warm_up] - expected[~warm_up])
    allowed = RELATIVE * np.abs(expected[~warm_up])
    worst = int(np.argmax(error - allowed)) if error.size else 0
    assert (error <= allowed).all(), (
        f"{name}: {actual[~warm_up][worst]!r} != {expected[~warm_up][worst]!r}"
    )


def talib_oracle(bars: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Every indicators_daily column, as TA-Lib computes it."""
    high, low, close, volume, total = (
        bars[k] for k in ("high", "low", "close", "volume", "tr_close")
    )
    macd, signal, histogram = talib.MACD(close, 12, 26, 9)
    upper, middle, lower = talib.BBANDS(close, 20, 2.0, 2.0, 0)
    high_252, low_252 = talib.MAX(high, 252), talib.MIN(low, 252)
    expected = {
        "sma_20": talib.SMA(close, 20),
        "sma_50": talib.SMA(close, 50),
        "sma_200": talib.SMA(close, 200),
        "ema_12": talib.EMA(close, 12),
        "ema_26": talib.EMA(close, 26),
        "ema_50": talib.EMA(close, 50),
        "macd_line": macd,
        "macd_signal_9": signal,
        "macd_histogram": histogram,
        "rsi_14": talib.RSI(close, 14),
        "bollinger_upper_20": upper,
        "bollinger_middle_20": middle,
        "bollinger_lower_20": lower,
        "atr_14": talib.ATR(high, low, close, 14),
        "obv": talib.OBV(close, volume),
        "high_252": high_252,
        "low_252": low_252,
        "pct_from_high_252": close / high_252 - 1,
        "pct_from_low_252": close / low_252 - 1,
    }
    for sessions in (1, 5, 21, 63, 252):
        expected[f"return_{sessions}d"] = talib.ROCP(total, sessions)
        expected[f"log_return_{sessions}d"] = np.log(talib.ROCR(total, sessions))
    return expected


@pytest.mark.parametrize("symbol", ["AAPL", "MSFT", "IBM"])
def test_every_indicator_equals_talib(warehouse: str, symbol: str) -> None:
    expected = talib_oracle(series(warehouse, symbol))
    for name, values in expected.items():
        assert_matches(column(warehouse, "indicators_daily", symbol, name), values, name)


def test_the_adjusted_series_is_the_one_read(warehouse: str) -> None:
    """The split halves AAPL's earlier closes; returns read total-return closes."""
    closes = dict(
        query(
            warehouse,
            "select date, close from marts.indicators_daily where symbol = 'AAPL'"
            " and date in ('2005-02-25', '2005-02-28')",
        )
    )
    assert closes == {date(2005, 2, 25): pytest.approx(44.495), date(2005, 2, 28): 44.86}
    (dividend_day,) = query(
        warehouse,
        "select return_1d, close / lag(close) over (order by date) - 1 from"
        " marts.indicators_daily where symbol = 'AAPL' and date in ('2006-05-31', '2006-06-01')"
        " order by date desc limit 1",
    )
    assert dividend_day[0] != pytest.approx(dividend_day[1], rel=1e-6)


def test_warm_up_rows_are_null_not_guesses(warehouse: str) -> None:
    (ibm,) = query(
        warehouse,
        "select count(*), count(sma_50), count(sma_200), count(high_252), count(return_63d),"
        " count(rsi_14), count(macd_line) from marts.indicators_daily where symbol = 'IBM'",
    )
    assert ibm == (42, 0, 0, 0, 0, 42 - 14, 42 - 33)


# ---- risk_daily against the textbook formulas -------------------------------


def rolling(
    values: np.ndarray, window: int, statistic: Callable[[np.ndarray], float]
) -> np.ndarray:
    """statistic of each full window ending at each row; NaN before."""
    out = np.full(values.shape, np.nan)
    for end in range(window, values.size + 1):
        out[end - 1] = statistic(values[end - window : end])
    return out


def paired(url: str, symbol: str, benchmark: str) -> tuple[np.ndarray, np.ndarray]:
    """The symbol's daily returns and the benchmark's on the same dates (NaN if none)."""
    rows = query(
        url,
        "select own.return_1d, other.return_1d from marts.indicators_daily as own"
        " left join marts.indicators_daily as other"
        " on other.symbol = %s and other.date = own.date"
        " where own.symbol = %s order by own.date",
        (benchmark, symbol),
    )
    values = np.array([[np.nan if v is None else v for v in row] for row in rows], dtype=float)
    return values[:, 0], values[:, 1]


def beta_and_correlation(returns: np.ndarray, market: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    beta, correlation = np.full(returns.shape, np.nan), np.full(returns.shape, np.nan)
    for end in range(253, returns.size + 1):  # 252 returns: from the 253rd bar
        r, m = returns[end - 252 : end], market[end - 252 : end]
        both = ~np.isnan(m)
        if both.sum() >= 126:
            covariance = np.cov(r[both], m[both], ddof=1)
            beta[end - 1] = covariance[0, 1] / covariance[1, 1]
            correlation[end - 1] = np.corrcoef(r[both], m[both])[0, 1]
    return beta, correlation


def max_drawdown(prices: np.ndarray) -> float:
    return float(np.max(1 - prices / np.maximum.accumulate(prices)))


def sharpe(returns: np.ndarray) -> float:
    return float((returns.mean() - RISK_FREE_RATE / 252) / returns.std(ddof=1) * np.sqrt(252))


def test_risk_equals_the_textbook_formulas(warehouse: str) -> None:
    bars = series(warehouse, "AAPL")
    log_returns = np.concatenate([[np.nan], np.diff(np.log(bars["tr_close"]))])
    returns, spy = paired(warehouse, "AAPL", "SPY")
    _, xlk = paired(warehouse, "AAPL", "XLK")
    beta_spy, correlation_spy = beta_and_correlation(returns, spy)
    beta_xlk, correlation_xlk = beta_and_correlation(returns, xlk)
    shifted = np.concatenate([[np.nan], rolling(returns[1:], 252, sharpe)])
    expected = {
        "volatility_20": rolling(log_returns, 20, lambda w: w.std(ddof=1)) * np.sqrt(252),
        "volatility_60": rolling(log_returns, 60, lambda w: w.std(ddof=1)) * np.sqrt(252),
        "beta_spy_252": beta_spy,
        "correlation_spy_252": correlation_spy,
        "beta_sector_252": beta_xlk,
        "correlation_sector_252": correlation_xlk,
        "sharpe_252": shifted,
        "max_drawdown_252": rolling(bars["tr_close"], 252, max_drawdown),
    }
    for name, values in expected.items():
        assert_matches(column(warehouse, "risk_daily", "AAPL", name), values, name)
    assert np.nanmin(expected["max_drawdown_252"]) > 0.05  # a drawdown worth testing
    assert np.nanmean(beta_xlk) > 0.3  # and a sector that moves with AAPL


def test_funds_and_unknown_sectors_have_no_sector_figures(warehouse: str) -> None:
    rows = query(
        warehouse,
        "select symbol, count(sector_etf), count(beta_sector_252), count(beta_spy_252)"
        " from marts.risk_daily where symbol in ('SPY', 'XLK') group by 1 order by 1",
    )
    assert rows == [("SPY", 0, 0, rows[0][3]), ("XLK", 0, 0, rows[1][3])]
    assert rows[0][3] > 0
    (spy_beta,) = query(
        warehouse,
        "select min(beta_spy_252), max(correlation_spy_252) from marts.risk_daily"
        " where symbol = 'SPY'",
    )
    assert spy_beta == (pytest.approx(1.0, rel=1e-12), pytest.approx(1.0, rel=1e-12))


# ---- published for consumers -----------------------------------------------


def test_latest_row_per_symbol_is_published(warehouse: str) -> None:
    """int_indicators_latest is what cache_entries and relationship_entries
    carry as `indicators` entries; the relationship cache publishes them to Redis."""
    run_dbt("run", "--select", "int_indicators_latest", target="dev")
    (aapl,) = query(
        warehouse,
        "select as_of_date, payload from intermediate.int_indicators_latest where symbol = 'AAPL'",
    )
    assert aapl[0] == date(2007, 1, 31)
    latest = dict(
        zip(
            ("rsi_14", "beta_spy_252", "sma_20"),
            query(
                warehouse,
                "select rsi_14, beta_spy_252, sma_20 from marts.indicators_daily"
                " join marts.risk_daily using (symbol, date)"
                " where symbol = 'AAPL' and date = '2007-01-31'",
            )[0],
            strict=True,
        )
    )
    assert {key: aapl[1][key] for key in latest} == latest
    assert "macd_fast_ema_12" not in aapl[1] and "bar_loaded_at" not in aapl[1]
    state = {"running_close", "window_high_252", "running_return_sum", "window_drawdown_252"}
    assert not state & set(aapl[1]) and "session_index" in aapl[1]
    assert aapl[1]["bollinger_lower_20"] <= aapl[1]["bollinger_upper_20"]

    with connect(warehouse) as connection, connection.cursor() as cursor:
        # The group marts are not built here: the indicator rows of
        # relationship_entries, as the model writes them.
        cursor.execute(
            "create table marts.relationship_entries as select 'indicators' as kind,"
            " symbol as entry_key, payload as entry_value, null::text as group_id,"
            " null::text as members_digest from intermediate.int_indicators_latest"
        )
    server = PrivateRedis()
    server.start()
    try:
        client = redis.Redis.from_url(server.url)
        publication = publish_relationships(warehouse, client)
        cache = RelationshipCache(warehouse, client)
        published = cache.get_indicators("AAPL")
    finally:
        server.stop()
    assert publication.entries["indicators"] == 5
    assert cache.last_source == "redis"
    assert published is not None and published["rsi_14"] == latest["rsi_14"]
    assert cache.get_indicators("NOPE") is None
    fallback = RelationshipCache(warehouse, None)
    assert fallback.get_indicators("AAPL") == published
    assert fallback.last_source == "postgres"


def test_gx_checks_the_ranges(warehouse: str) -> None:
    from expectations.context import gx_context, run_checkpoint
    from expectations.suites import SUITES

    context = gx_context()
    specs = {spec.table: spec for spec in SUITES}
    session = date(2007, 1, 31)
    for table in ("indicators_daily", "risk_daily"):
        outcome = run_checkpoint(context, specs[table], session)
        assert outcome is not None and outcome.success, outcome
    with connect(warehouse) as connection, connection.cursor() as cursor:
        cursor.execute(
            "update marts.indicators_daily set rsi_14 = rsi_14 + 100,"
            " bollinger_lower_20 = bollinger_upper_20 + 1 where date = %s",
            (session,),
        )
    try:
        failed = run_checkpoint(context, specs["indicators_daily"], session)
    finally:
        with connect(warehouse) as connection, connection.cursor() as cursor:
            cursor.execute(
                "update marts.indicators_daily set rsi_14 = rsi_14 - 100,"
                " bollinger_lower_20 = 2 * bollinger_middle_20 - bollinger_upper_20"
                " where date = %s",
                (session,),
            )
    assert failed is not None and not failed.success
    assert len(failed.failed) == 2, failed.failed


def test_dbt_unit_tests_of_the_warm_up_and_the_incremental_step(warehouse: str) -> None:
    # They need the input relations (for the fixtures' column types): here.
    run_dbt("test", "--select", "indicators_daily,test_type:unit", target="dev")
