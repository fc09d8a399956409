"""The inputs of the analytics marts, written directly: daily bars as delivered
(`marts.ohlcv_daily`), their adjusted view as a table (`marts.ohlcv_daily_adjusted`)
and the symbols' sectors (`marts.symbols`), for tests and benchmarks that build
`indicators_daily` and `risk_daily` alone."""

from __future__ import annotations

import io
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from kernel.warehouse import connect
from orchestration.runtime.dbt_runner import run_dbt

Bar = tuple[str, date, float, float, float, float, float]  # symbol, date, o, h, l, c, v

_TABLES = """
    create schema if not exists marts;
    create table marts.ohlcv_daily (
        symbol text, date date, open numeric, high numeric, low numeric, close numeric,
        volume numeric, loaded_at timestamptz, primary key (symbol, date)
    );
    create index on marts.ohlcv_daily (loaded_at);
    create table marts.ohlcv_daily_adjusted (
        symbol text, date date, open numeric, high numeric, low numeric, close numeric,
        volume numeric, tr_open numeric, tr_high numeric, tr_low numeric, tr_close numeric,
        split_factor numeric, total_factor numeric, primary key (symbol, date)
    );
    create table marts.symbols (symbol text primary key, sector text);
"""


def create_inputs(database_url: str, sectors: dict[str, str | None]) -> None:
    """The three input tables, empty but for the symbols and their sectors."""
    with connect(database_url) as connection, connection.cursor() as cursor:
        cursor.execute(_TABLES)
        cursor.executemany("insert into marts.symbols values (%s, %s)", list(sectors.items()))
    run_dbt("seed", "--select", "sector_etfs", target="dev")


def deliver(database_url: str, bars: Iterable[Bar], loaded_at: datetime) -> int:
    """Land bars as one load (adjusted with factors 1); returns how many."""
    buffer = io.StringIO()
    count = 0
    for symbol, day, open_, high, low, close, volume in bars:
        buffer.write(f"{symbol}\t{day}\t{open_}\t{high}\t{low}\t{close}\t{volume}\n")
        count += 1
    with connect(database_url) as connection, connection.cursor() as cursor:
        cursor.execute("create temporary table incoming (like marts.ohlcv_daily)")
        buffer.seek(0)
        cursor.copy_from(
            buffer,
            "incoming",
            columns=("symbol", "date", "open", "high", "low", "close", "volume"),
        )
        cursor.execute(
            "insert into marts.ohlcv_daily select symbol, date, open, high, low, close,"
            " volume, %s from incoming;"
            " insert into marts.ohlcv_daily_adjusted select symbol, date, open, high, low,"
            " close, volume, open, high, low, close, 1, 1 from incoming",
            (loaded_at,),
        )
    return count


def adjust(database_url: str, symbol: str, before: date, split: float, dividend: float) -> None:
    """A corporate action on `before`: the symbol's earlier bars are scaled by
    `split` (prices; volume by its inverse) and their total-return prices also
    by `dividend`, the factors multiplied alike."""
    with connect(database_url) as connection, connection.cursor() as cursor:
        cursor.execute(
            "update marts.ohlcv_daily_adjusted set"
            " open = open * %(s)s, high = high * %(s)s, low = low * %(s)s,"
            " close = close * %(s)s, volume = volume / %(s)s,"
            " tr_open = tr_open * %(t)s, tr_high = tr_high * %(t)s,"
            " tr_low = tr_low * %(t)s, tr_close = tr_close * %(t)s,"
            " split_factor = split_factor * %(s)s, total_factor = total_factor * %(t)s"
            " where symbol = %(symbol)s and date < %(before)s",
            {
                "s": Decimal(str(split)),
                "t": Decimal(str(split)) * Decimal(str(dividend)),
                "symbol": symbol,
                "before": before,
            },
        )


def build(full_refresh: bool = False) -> Any:
    """Build indicators_daily and risk_daily (incrementally unless asked);
    returns dbt's run result (per-node timing in `.results`)."""
    return run_dbt(
        "run",
        "--select",
        "indicators_daily",
        "risk_daily",
        *(("--full-refresh",) if full_refresh else ()),
        target="dev",
    )
