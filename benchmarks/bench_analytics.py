"""Analytics marts build time: `python -m benchmarks.bench_analytics [--symbols N --years Y]`.

Targets (issue 19), each printed with OK or OVER:

- full build of indicators_daily and risk_daily for 500 symbols x 5 years
  under 60 s (rows/s printed);
- incremental daily build adding one session for the full market (about
  12,000 symbols) under 5 s with 1 year of history, and at most 1.25x that
  with 5 years of history.

Each build's time is split into dbt's per-model times and the rest (dbt's
start-up, parsing, on-run-start hooks), so a figure says where it went.

The bars are synthetic random walks on NYSE sessions (pandas-market-calendars)
for N stocks spread over the 11 sectors, plus SPY and the 11 sector ETFs,
written straight into the marts the models read (tests/support/analytics.py)
in a throwaway database on the configured (or embedded) Postgres. The market
daily build starts from a full build of `--base-symbols` stocks whose bars
and built rows are then copied in SQL under new names up to
`--market-symbols` (a copy's rows are exactly what a full build of it would
give, its bars being its source's), then one session is delivered for every
symbol and the incremental run timed.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

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
TARGET_HISTORY_RATIO = 1.25
MARTS = ("indicators_daily", "risk_daily")
COPIED = ("ohlcv_daily", "ohlcv_daily_adjusted", "symbols", *MARTS)


def _stock(index: int) -> str:
    return f"S{index:05d}"


def _sectors(stocks: int) -> dict[str, str | None]:
    names = list(SECTOR_ETFS)
    sectors: dict[str, str | None] = {
        _stock(index): names[index % len(names)] for index in range(stocks)
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


def _verdict(seconds: float, limit: float) -> str:
    return "[green]OK[/green]" if seconds < limit else "[red]OVER[/red]"


def _split(total_s: float, result: Any) -> str:
    """Per-model seconds of a dbt run and what is left (start-up, hooks)."""
    models = {item.node.name: item.execution_time for item in result.results}
    parts = [f"{name} {models.get(name, 0.0):.2f} s" for name in MARTS]
    return ", ".join([*parts, f"dbt overhead {total_s - sum(models.values()):.2f} s"])


def _sessions(years: int) -> list[date]:
    return TradingCalendar().session_dates(LAST_SESSION - timedelta(days=365 * years), LAST_SESSION)


def _prepare(url: str, stocks: int, sessions: list[date]) -> tuple[int, list[analytics.Bar]]:
    """Inputs with every session but the last delivered; returns the bars
    delivered and the last session's bars."""
    sectors = _sectors(stocks)
    bars = list(_bars(list(sectors), sessions))
    export_connection_env(url)
    analytics.create_inputs(url, sectors)
    rows = analytics.deliver(
        url, [bar for bar in bars if bar[1] < sessions[-1]], datetime(2025, 1, 1, tzinfo=UTC)
    )
    with connect(url) as connection, connection.cursor() as cursor:
        cursor.execute("analyze marts.ohlcv_daily; analyze marts.ohlcv_daily_adjusted")
    return rows, [bar for bar in bars if bar[1] == sessions[-1]]


def _daily(url: str, today: list[analytics.Bar]) -> tuple[float, Any, int]:
    """Deliver the last session and time the incremental build."""
    analytics.deliver(url, today, datetime(2025, 1, 2, tzinfo=UTC))
    seconds, result = timed(analytics.build)
    ((computed,),) = query(
        url,
        "select count(*) from marts.indicators_daily where computed_at"
        " = (select max(computed_at) from marts.indicators_daily)",
    )
    return seconds, result, computed


def _copy_stocks(url: str, base: int, stocks: int) -> None:
    """Stocks `base`..`stocks - 1` as copies of stock `i % base`: bars, sector
    and built rows under the new name, written session by session (then
    symbol), as daily loads and runs append them and a full build of the
    marts writes them (a join's order instead put each copy's history
    together: a daily run then read a few rows from each of 12,000 places)."""
    with connect(url) as connection, connection.cursor() as cursor:
        for table in COPIED:
            cursor.execute(
                "select column_name from information_schema.columns"
                " where table_schema = 'marts' and table_name = %s order by ordinal_position",
                (table,),
            )
            columns = [name for (name,) in cursor.fetchall()]
            values = ", ".join(
                "'S' || lpad(copy::text, 5, '0')" if name == "symbol" else f"source.{name}"
                for name in columns
            )
            copy_sql = (
                f"insert into marts.{table} ({', '.join(columns)})"
                f" select {values} from generate_series(%(base)s, %(last)s) as copy"
                " inner join copied as source"
                " on source.symbol = 'S' || lpad((copy %% %(base)s)::text, 5, '0')"
            )
            cursor.execute(f"create temporary table copied as select * from marts.{table}")
            if "date" not in columns:
                cursor.execute(copy_sql, {"base": base, "last": stocks - 1})
            else:
                # One statement a session: a sort of all the copies' rows
                # would spill gigabytes.
                cursor.execute("create index on copied (date)")
                cursor.execute("analyze copied")
                cursor.execute("select distinct date from copied order by date")
                for (day,) in cursor.fetchall():
                    cursor.execute(
                        f"{copy_sql} where source.date = %(day)s order by copy",
                        {"base": base, "last": stocks - 1, "day": day},
                    )
            cursor.execute("drop table copied")
    # Vacuumed as autovacuum keeps a warehouse's tables: the daily run does
    # not set the hint bits of millions of just-copied rows (its reads
    # dirtied 92k pages) nor race a vacuum that starts on them.
    with connect(url, autocommit=True) as connection, connection.cursor() as cursor:
        for table in COPIED:
            cursor.execute(f"vacuum (analyze) marts.{table}")


def full_build(console: Console, stocks: int, years: int) -> None:
    sessions = _sessions(years)
    endpoints = resolve_endpoints(read_settings())
    with throwaway_database(endpoints.database_url) as url:
        rows, today = _prepare(url, stocks, sessions)
        full_s, result = timed(lambda: analytics.build(full_refresh=True))
        console.print(
            f"full build: {stocks + 12} symbols x {len(sessions) - 1} sessions = {rows:,} bars"
            f" in {full_s:.1f} s ({rows / full_s:,.0f} rows/s)"
            f" ({_split(full_s, result)}); target < {TARGET_FULL_S:.0f} s for 500 x 5 years:"
            f" {_verdict(full_s, TARGET_FULL_S) if (stocks, years) >= (500, 5) else 'n/a'}"
        )
        daily_s, result, computed = _daily(url, today)
        console.print(
            f"  then a daily build: 1 session, {computed:,} new rows in {daily_s:.2f} s"
            f" ({_split(daily_s, result)})"
        )


def market_daily(console: Console, base: int, stocks: int, years: int) -> float:
    sessions = _sessions(years)
    endpoints = resolve_endpoints(read_settings())
    with throwaway_database(endpoints.database_url) as url:
        _, today = _prepare(url, base, sessions)
        analytics.build(full_refresh=True)
        copy_s, _ = timed(lambda: _copy_stocks(url, base, stocks))
        copies = [
            (_stock(index), *bar[1:])
            for index in range(base, stocks)
            for bar in today
            if bar[0] == _stock(index % base)
        ]
        daily_s, result, computed = _daily(url, [*today, *copies])
        console.print(
            f"daily build, {years} y of history: {stocks + 12:,} symbols, {computed:,} new rows"
            f" in {daily_s:.2f} s ({_split(daily_s, result)}; history copied in {copy_s:.0f} s);"
            f" target < {TARGET_DAILY_S:.0f} s: {_verdict(daily_s, TARGET_DAILY_S)}"
        )
        return daily_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--symbols", type=int, default=500, help="stocks of the full build")
    parser.add_argument("--years", type=int, default=5, help="years of the full build")
    parser.add_argument(
        "--market-symbols", type=int, default=12_000, help="stocks of the daily build (0: skip)"
    )
    parser.add_argument(
        "--base-symbols", type=int, default=88, help="stocks built, then copied to the market"
    )
    parser.add_argument(
        "--market-years", type=int, nargs="*", default=[1, 5], help="history of the daily build"
    )
    arguments = parser.parse_args()
    console = Console()
    if arguments.symbols:
        full_build(console, arguments.symbols, arguments.years)
    if not arguments.market_symbols:
        return
    times = {
        years: market_daily(console, arguments.base_symbols, arguments.market_symbols, years)
        for years in arguments.market_years
    }
    if len(times) > 1:
        shortest, longest = min(times), max(times)
        ratio = times[longest] / times[shortest]
        console.print(
            f"daily build, {longest} y against {shortest} y of history: {ratio:.2f}x;"
            f" target <= {TARGET_HISTORY_RATIO}x:"
            f" {'[green]OK[/green]' if ratio <= TARGET_HISTORY_RATIO else '[red]OVER[/red]'}"
        )


if __name__ == "__main__":
    main()
