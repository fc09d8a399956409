"""Backfill speed: `python -m benchmarks.bench_backfill` prints one line per measurement.

Targets (issue 3), measured against the full-size sandbox served over HTTP by
its own process (as the real API would be) with no rate limit, into a
throw-away database on the configured (or embedded) Postgres:

* 500 symbols x 5 years of daily bars through `raw_polygon` into
  `marts.ohlcv_daily`, with their adjustment factors computed (issue 16):
  rows per second end to end, and its ratio to a bare
  `COPY` of the same rows into the same table in the same run (target >= 50%).
  Measured REPETITIONS times, each in a new database and a fresh process; the
  verdict goes by the median ratio.
* 50 symbols x 1 year of minute bars into `marts.ohlcv_1min`: under 5 minutes.

The symbols are neighbours in the sandbox's catalog: the sandbox generates
prices a block of listings at a time, and scattered symbols would measure its
generator, not our pipeline. For the same reason the daily ranges are fetched
once, untimed, before the timed run: the real API serves stored bars, while
the sandbox computes them on first request (that warm-up is printed too).
Like the real API, the sandbox then serves those past bars as stored
responses (`sandbox/response_cache.py`), over HTTP from its own
process on the same two cores.
"""

from __future__ import annotations

import io
import multiprocessing
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any, TypeVar

from benchmarks import timed
from extract.polygon.bar_fetcher import BarFetcher
from extract.polygon.client import polygon_client
from extract.polygon.endpoint import PolygonEndpoint
from kernel.market_calendar import TradingCalendar
from kernel.settings import read_settings
from kernel.warehouse import connect, export_connection_env, query
from orchestration.jobs.bulk_load import run_load
from orchestration.jobs.load_plan import LoadPlan, plan_load
from orchestration.jobs.loads import land_polygon
from orchestration.jobs.reference import land_reference
from orchestration.runtime.dbt_runner import run_dbt
from orchestration.runtime.services import resolve_endpoints
from sandbox.market import SandboxMarket
from tests.support.cli import sandbox_process
from tests.support.databases import throwaway_database

LAST_SESSION = date(2025, 12, 31)
CONCURRENCY = 4  # requests in flight: more only adds GIL contention on 2 cores
BATCH_ROWS = 250_000
REPETITIONS = 3  # the ratio printed is their median: this 2-core machine's timings are noisy
SPAWN = multiprocessing.get_context("spawn")
Result = TypeVar("Result")


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
    client = polygon_client(endpoint.base_url, endpoint.api_key, endpoint.policy)
    for _ in BarFetcher(client, []).fetch_all(plan.units, CONCURRENCY):
        pass


def _copy_rate(database_url: str, first: date) -> tuple[int, float]:
    """Rows and seconds of a bare COPY of the window's marts rows back into their table.

    The rows are deleted and the table vacuumed first, so the COPY meets the
    table as the timed build did: without them. Left as dead tuples, with
    their index entries, they slowed the COPY by a fifth.
    """
    buffer = io.StringIO()
    with connect(database_url) as connection, connection.cursor() as cursor:
        cursor.copy_expert(
            f"copy (select * from marts.ohlcv_daily where date >= '{first}') to stdout", buffer
        )
        cursor.execute("delete from marts.ohlcv_daily where date >= %s", (first,))
    # VACUUM cannot run inside a transaction.
    with connect(database_url, autocommit=True) as vacuum, vacuum.cursor() as cursor:
        cursor.execute("vacuum marts.ohlcv_daily")
    rows = buffer.getvalue().count("\n")
    buffer.seek(0)
    with connect(database_url) as connection, connection.cursor() as cursor:
        started = time.perf_counter()
        cursor.copy_expert("copy marts.ohlcv_daily from stdin", buffer)
        connection.commit()
        return rows, time.perf_counter() - started


def _in_own_process(action: Callable[..., Result], *args: Any) -> Result:
    """`action(*args)` in a fresh process, as a `tickstock` command would run it.

    The timed backfill must not run after dbt in the same process: the ~165k
    objects a dbt run leaves behind slow every later garbage collection of
    dlt's, which `tickstock load` (landing first, building after) never meets.
    """
    with SPAWN.Pool(1) as pool:
        return pool.apply(action, args)


def _set_up(
    database_url: str, endpoint: PolygonEndpoint, symbols: list[str], day: date, target: str
):
    """The reference, the symbols' splits and dividends (as a first tracking lands
    them), the first symbol's bar on `day` and the models the timed build refreshes."""
    land_polygon(
        database_url,
        endpoint,
        resources=("tickers", "grouped_daily", "aggs_daily"),
        sessions=[day],
        symbols=symbols[:1],
        start=day,
        end=day,
    )
    land_reference(
        database_url, endpoint, resources=("splits", "dividends"), action_symbols=symbols
    )
    run_dbt("run", "--select", "+ohlcv_daily", "+int_adjustment_factors", target=target)


@dataclass(frozen=True)
class DailyRun:
    """One timed daily backfill and the bare COPY of its rows."""

    rows: int
    land_s: float
    build_s: float
    copy_s: float

    @property
    def rate(self) -> float:
        return self.rows / (self.land_s + self.build_s)

    @property
    def ratio(self) -> float:
        return self.rate / (self.rows / self.copy_s)


def _timed_daily(
    database_url: str, endpoint: PolygonEndpoint, plan: LoadPlan, first: date, target: str
) -> DailyRun:
    land_s, _ = timed(lambda: run_load(database_url, endpoint, plan, CONCURRENCY, BATCH_ROWS))
    # The bars, then their adjustment factors (the model's post-hook writes them).
    build_s, _ = timed(
        lambda: run_dbt("run", "--select", "ohlcv_daily", "int_adjustment_factors", target=target)
    )
    (rows,) = query(
        database_url, "select count(*) from marts.ohlcv_daily where date >= %s", (first,)
    )[0]
    copied, copy_s = _copy_rate(database_url, first)
    assert copied == rows, (copied, rows)
    return DailyRun(rows, land_s, build_s, copy_s)


def _daily(server_url: str, endpoint: PolygonEndpoint, market: SandboxMarket, target: str):
    calendar = TradingCalendar()
    sessions = calendar.sessions_between(LAST_SESSION - timedelta(days=5 * 365), LAST_SESSION)
    first = sessions[0].date
    symbols = _symbols(market, 500, first)
    plan = plan_load(symbols, sessions, "day", market_size=len(market.listings))
    warm_s, _ = timed(lambda: _fetch_without_landing(endpoint, plan))
    print(f"sandbox warm-up the ranges generated and fetched once, untimed: {warm_s:.1f} s")
    # The set-up lands one session before the window, so every raw bar table exists.
    before = calendar.sessions_between(first - timedelta(days=10), first)[0].date
    runs = []
    for number in range(1, REPETITIONS + 1):
        with throwaway_database(server_url) as database_url:
            export_connection_env(database_url)
            _in_own_process(_set_up, database_url, endpoint, symbols, before, target)
            run = _in_own_process(_timed_daily, database_url, endpoint, plan, first, target)
        runs.append(run)
        print(
            f"daily backfill  run {number}: {len(symbols)} symbols x {len(sessions)} sessions, "
            f"{run.rows:,} rows in {run.land_s + run.build_s:.1f} s = {run.rate:,.0f} rows/s "
            f"end to end (fetch and land {run.land_s:.1f} s, "
            f"dbt with factors {run.build_s:.1f} s); "
            f"bare COPY of the same rows into marts.ohlcv_daily {run.rows / run.copy_s:,.0f} "
            f"rows/s; ratio {run.ratio:.0%}"
        )
    ratio = statistics.median(run.ratio for run in runs)
    verdict = "meets" if ratio >= 0.5 else "MISSES"
    print(
        f"ratio           median of {len(runs)} runs {ratio:.0%} of COPY ({verdict} the 50% target)"
    )


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
        TemporaryDirectory() as scratch,
        sandbox_process(Path(scratch) / "access.log", "--size", "full") as base_url,
    ):
        endpoint = PolygonEndpoint(base_url, "bench-key", synthetic=True)
        _daily(endpoints.database_url, endpoint, market, settings.dbt_target)
        with throwaway_database(endpoints.database_url) as database_url:
            export_connection_env(database_url)
            _minutes(database_url, endpoint, market, settings.dbt_target)


if __name__ == "__main__":
    main()
