"""Backfill speed: `python -m benchmarks.bench_backfill` prints one line per measurement.

Targets (issue 3), measured against the full-size sandbox served over HTTP by
its own process (as the real API would be) with no rate limit, into a
throw-away database on the configured (or embedded) Postgres:

* 500 symbols x 5 years of daily bars through `raw_polygon` into
  `marts.ohlcv_daily`: rows per second end to end, and its ratio to a bare
  `COPY` of the same rows into the same table in the same run (target >= 50%).
* 50 symbols x 1 year of minute bars into `marts.ohlcv_1min`: under 5 minutes.

The symbols are neighbours in the sandbox's catalog: the sandbox generates
prices a block of listings at a time, and scattered symbols would measure its
generator, not our pipeline. For the same reason the daily ranges are fetched
once, untimed, before the timed run: the real API serves stored bars, while
the sandbox computes them on first request (that warm-up is printed too). The
sandbox still serves every timed request over HTTP, on the same two cores.
"""

from __future__ import annotations

import io
import time
from datetime import date, timedelta
from pathlib import Path
from tempfile import TemporaryDirectory

from benchmarks import timed
from extract.polygon import polygon_source
from extract.polygon.endpoint import PolygonEndpoint
from extract.sandbox.market import SandboxMarket
from orchestration.bulk_load import run_load
from orchestration.dbt_runner import run_dbt
from orchestration.load_plan import LoadPlan, plan_load
from orchestration.loads import land_polygon
from orchestration.market_calendar import TradingCalendar
from orchestration.services import resolve_endpoints
from orchestration.settings import read_settings
from orchestration.warehouse import connect, export_connection_env, query
from tests.conftest import throwaway_database
from tests.support.cli import sandbox_process

LAST_SESSION = date(2025, 12, 31)
CONCURRENCY = 4  # requests in flight: more only adds GIL contention on 2 cores
BATCH_ROWS = 250_000


def _symbols(market: SandboxMarket, count: int, listed_by: date) -> list[str]:
    """The first `count` common stocks and ETFs (in catalog order) trading all window long."""
    eligible = [
        listing.ticker
        for listing in market.listings
        if listing.type in ("CS", "ETF") and listing.delisted is None
        if listing.list_date <= listed_by
    ]
    return eligible[:count]


def _fetch_without_landing(endpoint: PolygonEndpoint, plan: LoadPlan) -> None:
    """Every range of `plan` fetched through the extractor once, nothing landed."""
    source = polygon_source(
        endpoint.base_url, endpoint.api_key, ranges=plan.units, concurrency=CONCURRENCY
    )
    for _ in source.with_resources("aggs_daily"):
        pass


def _copy_rate(database_url: str, first: date) -> tuple[int, float]:
    """Rows and seconds of a bare COPY of the window's marts rows back into their table."""
    buffer = io.StringIO()
    with connect(database_url) as connection, connection.cursor() as cursor:
        cursor.copy_expert(
            f"copy (select * from marts.ohlcv_daily where date >= '{first}') to stdout", buffer
        )
        cursor.execute("delete from marts.ohlcv_daily where date >= %s", (first,))
    rows = buffer.getvalue().count("\n")
    buffer.seek(0)
    with connect(database_url) as connection, connection.cursor() as cursor:
        started = time.perf_counter()
        cursor.copy_expert("copy marts.ohlcv_daily from stdin", buffer)
        connection.commit()
        return rows, time.perf_counter() - started


def _daily(database_url: str, endpoint: PolygonEndpoint, market: SandboxMarket, target: str):
    calendar = TradingCalendar()
    sessions = calendar.sessions_between(LAST_SESSION - timedelta(days=5 * 365), LAST_SESSION)
    first = sessions[0].date
    symbols = _symbols(market, 500, first)
    # Untimed set-up: the reference, one grouped session before the window (so every
    # raw bar table exists, outside the window) and the models the timed build refreshes.
    before = calendar.sessions_between(first - timedelta(days=10), first)[0].date
    land_polygon(
        database_url,
        endpoint,
        resources=("tickers", "grouped_daily", "aggs_daily"),
        sessions=[before],
        symbols=symbols[:1],
        start=before,
        end=before,
    )
    run_dbt("run", "--select", "+ohlcv_daily", target=target)
    plan = plan_load(symbols, sessions, "day", market_size=len(market.listings))
    warm_s, _ = timed(lambda: _fetch_without_landing(endpoint, plan))

    land_s, _ = timed(lambda: run_load(database_url, endpoint, plan, CONCURRENCY, BATCH_ROWS))
    build_s, _ = timed(lambda: run_dbt("run", "--select", "ohlcv_daily", target=target))
    seconds = land_s + build_s
    (rows,) = query(
        database_url, "select count(*) from marts.ohlcv_daily where date >= %s", (first,)
    )[0]
    copied, copy_seconds = _copy_rate(database_url, first)
    assert copied == rows, (copied, rows)
    rate, copy_rate = rows / seconds, rows / copy_seconds
    print(
        f"daily backfill  {len(symbols)} symbols x {len(sessions)} sessions: {rows:,} rows "
        f"in {seconds:.1f} s = {rate:,.0f} rows/s end to end "
        f"(fetch and land {land_s:.1f} s, dbt {build_s:.1f} s)"
    )
    print(f"sandbox warm-up the same ranges generated and fetched once before: {warm_s:.1f} s")
    print(f"bare COPY       same {rows:,} rows into marts.ohlcv_daily: {copy_rate:,.0f} rows/s")
    verdict = "meets" if rate >= 0.5 * copy_rate else "MISSES"
    print(f"ratio           {rate / copy_rate:.0%} of COPY ({verdict} the 50% target)")


def _minutes(database_url: str, endpoint: PolygonEndpoint, market: SandboxMarket, target: str):
    sessions = TradingCalendar().sessions_between(LAST_SESSION - timedelta(days=365), LAST_SESSION)
    symbols = _symbols(market, 50, sessions[0].date)
    plan = plan_load(symbols, sessions, "minute", market_size=len(market.listings))

    def backfill() -> None:
        run_load(database_url, endpoint, plan, CONCURRENCY, BATCH_ROWS)
        run_dbt("run", "--select", "+ohlcv_1min", target=target)

    seconds, _ = timed(backfill)
    (rows,) = query(database_url, "select count(*) from marts.ohlcv_1min")[0]
    verdict = "meets" if seconds < 300 else "MISSES"
    print(
        f"minute backfill {len(symbols)} symbols x {len(sessions)} sessions: {rows:,} rows "
        f"in {seconds:.1f} s = {rows / seconds:,.0f} rows/s ({verdict} the 5-minute target)"
    )


def main() -> None:
    settings = read_settings()
    endpoints = resolve_endpoints(settings)
    market = SandboxMarket(seed=42, size="full")  # its listings pick the symbols
    with (
        throwaway_database(endpoints.database_url) as database_url,
        TemporaryDirectory() as scratch,
        sandbox_process(Path(scratch) / "access.log", "--size", "full") as base_url,
    ):
        export_connection_env(database_url)
        endpoint = PolygonEndpoint(base_url, "bench-key", synthetic=True)
        _daily(database_url, endpoint, market, settings.dbt_target)
        _minutes(database_url, endpoint, market, settings.dbt_target)


if __name__ == "__main__":
    main()
