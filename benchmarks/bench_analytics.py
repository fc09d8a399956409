"""Analytics marts build time: `python -m benchmarks.bench_analytics [--symbols N --years Y]`.

Targets (issue 19): the full build of indicators_daily and risk_daily for 500
symbols x 5 years under 60 s (printed as rows/s), and the incremental daily
build adding one session under 5 s. Prints numbers, asserts nothing.

The bars are synthetic random walks on NYSE sessions (pandas-market-calendars)
for N stocks spread over the 11 sectors, plus SPY and the 11 sector ETFs,
written straight into the marts the models read (tests/support/analytics.py)
in a throwaway database on the configured (or embedded) Postgres. The daily
build is timed on the dbt run alone, after a full build of the history.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import numpy as np
from rich.console import Console

from benchmarks import timed
from kernel.market_calendar import TradingCalendar
from kernel.settings import read_settings
from kernel.warehouse import connect, export_connection_env, query
from orchestration.runtime.services import resolve_endpoints
from tests.support import analytics
from tests.support.databases import throwaway_database

LAST_SESSION = date(2025, 6, 16)  # fixed: reproducible
SECTOR_ETFS = {
    "Communication Services": "XLC",
    "Consumer Discretionary": "XLY",
    "Consumer Staples": "XLP",
    "Energy": "XLE",
    "Financials": "XLF",
    "Health Care": "XLV",
    "Industrials": "XLI",
    "Information Technology": "XLK",
    "Materials": "XLB",
    "Real Estate": "XLRE",
    "Utilities": "XLU",
}
TARGET_FULL_S = 60.0
TARGET_DAILY_S = 5.0


def _sectors(stocks: int) -> dict[str, str | None]:
    names = list(SECTOR_ETFS)
    sectors: dict[str, str | None] = {
        f"S{index:04d}": names[index % len(names)] for index in range(stocks)
    }
    sectors.update({etf: None for etf in ("SPY", *SECTOR_ETFS.values())})
    return sectors


def _bars(symbols: list[str], sessions: list[date], seed: int = 19) -> Iterator[analytics.Bar]:
    """A random walk per symbol: closes, a high and low around them, volumes."""
    generator = np.random.default_rng(seed)
    for symbol in symbols:
        closes = 50 * np.exp(np.cumsum(generator.normal(0.0003, 0.02, len(sessions))))
        spread = closes * generator.uniform(0.001, 0.03, len(sessions))
        volumes = generator.integers(10_000, 5_000_000, len(sessions))
        for day, close, width, volume in zip(sessions, closes, spread, volumes, strict=True):
            yield (
                symbol,
                day,
                round(close, 4),
                round(close + width, 4),
                round(close - width, 4),
                round(close, 4),
                float(volume),
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--symbols", type=int, default=500, help="stocks (benchmarks added)")
    parser.add_argument("--years", type=int, default=5, help="years of history")
    arguments = parser.parse_args()
    console = Console()
    sessions = TradingCalendar().session_dates(
        LAST_SESSION - timedelta(days=365 * arguments.years), LAST_SESSION
    )
    sectors = _sectors(arguments.symbols)
    symbols = list(sectors)
    bars = list(_bars(symbols, sessions))
    history = [bar for bar in bars if bar[1] < sessions[-1]]
    today = [bar for bar in bars if bar[1] == sessions[-1]]
    endpoints = resolve_endpoints(read_settings())
    with throwaway_database(endpoints.database_url) as url:
        export_connection_env(url)
        analytics.create_inputs(url, sectors)
        rows = analytics.deliver(url, history, datetime(2025, 1, 1, tzinfo=UTC))
        with connect(url) as connection, connection.cursor() as cursor:
            cursor.execute("analyze marts.ohlcv_daily; analyze marts.ohlcv_daily_adjusted")
        full_s, _ = timed(lambda: analytics.build(full_refresh=True))
        console.print(
            f"full build: {len(symbols)} symbols x {len(sessions) - 1} sessions = {rows:,} bars"
            f" in {full_s:.1f} s ({rows / full_s:,.0f} rows/s; target < {TARGET_FULL_S:.0f} s"
            " for 500 x 5 years)"
        )
        analytics.deliver(url, today, datetime(2025, 1, 2, tzinfo=UTC))
        daily_s, _ = timed(analytics.build)
        (computed,) = query(
            url,
            "select count(*) from marts.indicators_daily where computed_at"
            " = (select max(computed_at) from marts.indicators_daily)",
        )
        console.print(
            f"daily build: 1 session, {computed[0]:,} new rows, {daily_s:.2f} s"
            f" (target < {TARGET_DAILY_S:.0f} s)"
        )


if __name__ == "__main__":
    main()
