"""dlt source for the Polygon (Massive) REST API: fetch and land, nothing more.

The same code runs against the real API and the sandbox market: only the base
URL and the key differ. Business rules live in dbt, not here.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from datetime import date
from typing import Any, TypeVar

import dlt
import pyarrow as pa

from extract.polygon.bars import bars_table
from extract.polygon.client import UNLIMITED, RequestPolicy, bar_pages_client, polygon_client
from extract.polygon.fetching import FetchFailure, PageFetcher, PolygonAuthError
from extract.polygon.settings import (
    AGGS_PAGE_LIMIT,
    AGGS_RANGE_PATH,
    GROUPED_DAILY_PATH,
    TICKER_COLUMNS,
    TICKERS_PAGE_LIMIT,
    TICKERS_PATH,
    bar_columns,
)
from extract.polygon.work import BarRange, GroupedSession

__all__ = ["FetchFailure", "PolygonAuthError", "polygon_source"]

# Daily bars are appended, every load whole: their raw tables are a log of
# deliveries, and marts.ohlcv_daily keeps the newest delivery of each
# (symbol, session). A dlt merge would repeat that work with a COPY to staging
# plus a delete and an insert over the whole raw table, at a cost growing with
# history.
DAILY_BARS = "append"

Unit = TypeVar("Unit", BarRange, GroupedSession)
YIELD_ROWS = 50_000
UnitLanded = Callable[[BarRange | GroupedSession, pa.Table], None]


def _concurrently(
    units: Sequence[Unit], fetch: Callable[[Unit], Any], workers: int
) -> Iterator[tuple[Unit, Any]]:
    """(unit, fetch(unit)) in completion order, at most `workers` requests in flight.

    Submission is windowed so that fetched pages never pile up in memory
    faster than dlt writes them out.
    """
    if workers <= 1:
        yield from ((unit, fetch(unit)) for unit in units)
        return
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="polygon") as pool:
        pending: dict[Future, Unit] = {}
        for unit in units:
            pending[pool.submit(fetch, unit)] = unit
            if len(pending) >= 2 * workers:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    yield pending.pop(future), future.result()
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                yield pending.pop(future), future.result()


@dlt.source(name="polygon")
def polygon_source(
    base_url: str,
    api_key: str,
    sessions: Sequence[date] = (),
    ranges: Sequence[BarRange] = (),
    policy: RequestPolicy = UNLIMITED,
    failures: list[FetchFailure] | None = None,
    on_landed: UnitLanded | None = None,
    concurrency: int = 1,
) -> Iterable[Any]:
    """Tickers, grouped daily bars for `sessions` and per-ticker bar `ranges`.

    A unit (a session, or a ticker's range) whose requests still fail after
    retries is appended to `failures` and skipped: all of its pages land, or
    none do. `on_landed(unit, table)` is called for every unit that was
    fetched whole, once its rows are handed to dlt.

    Args:
        base_url: Polygon-compatible API root (real API or sandbox).
        api_key: sent as a bearer token, never in URLs.
        sessions: trading sessions to fetch whole-market daily bars for.
        ranges: per-ticker bar ranges (day ranges land in `aggs_daily`,
            minute ranges in `aggs_minute`).
        policy: request rate and retry policy (shared by all workers).
        failures: collects what could not be fetched.
        on_landed: progress and bookkeeping hook, called in the extract thread.
        concurrency: requests in flight at once (1 on a rate-limited plan).
    """
    failed = failures if failures is not None else []
    client = polygon_client(base_url, api_key, policy)
    fetch_all = PageFetcher(client, failed).all_pages
    fetch_bars = PageFetcher(bar_pages_client(client), failed).all_pages  # pages of Arrow tables

    def landed(units: Iterator[tuple[Unit, pa.Table | None]]) -> Iterator[pa.Table]:
        """The fetched tables to land, reporting each whole unit (empty ones too).

        Tables are handed to dlt in chunks of about YIELD_ROWS rows: dlt works
        out and validates the table schema once per item, which for one
        ticker's range cost more than converting its bars.
        """
        chunk: list[pa.Table] = []
        chunk_rows = 0
        for unit, table in units:
            if table is None:
                continue  # failed, and recorded in `failures`
            if on_landed is not None:
                on_landed(unit, table)
            if table.num_rows:  # dlt's CSV writer must not be handed an empty table
                chunk.append(table)
                chunk_rows += table.num_rows
            if chunk_rows >= YIELD_ROWS:
                yield pa.concat_tables(chunk)
                chunk, chunk_rows = [], 0
        if chunk:
            yield pa.concat_tables(chunk)

    @dlt.resource(
        name="tickers",
        primary_key="ticker",
        write_disposition="merge",
        columns=copy.deepcopy(TICKER_COLUMNS),
    )
    def tickers() -> Iterator[list[dict[str, Any]]]:
        params = {"market": "stocks", "limit": TICKERS_PAGE_LIMIT}
        pages = fetch_all(TICKERS_PATH, "all", TICKERS_PATH, params)
        yield from pages or []

    def fetch_session(unit: GroupedSession) -> pa.Table | None:
        day = unit.session.isoformat()
        path = GROUPED_DAILY_PATH.format(date=day)
        pages = fetch_bars(GROUPED_DAILY_PATH, day, path, {"adjusted": "true"})
        if pages is None:
            return None
        return bars_table([table for page in pages for table in page], request_date=unit.session)

    @dlt.resource(
        name="grouped_daily",
        write_disposition=DAILY_BARS,
        columns=bar_columns(request_date={"data_type": "date", "nullable": False}),
        file_format="csv",  # Arrow tables go in with COPY
    )
    def grouped_daily() -> Iterator[pa.Table]:
        units = [GroupedSession(session) for session in sessions]
        yield from landed(_concurrently(units, fetch_session, concurrency))

    def fetch_range(unit: BarRange) -> pa.Table | None:
        path = AGGS_RANGE_PATH.format(
            ticker=unit.ticker,
            multiplier=1,
            timespan=unit.timespan,
            start=unit.start.isoformat(),
            end=unit.end.isoformat(),
        )
        params = {"adjusted": "true", "sort": "asc", "limit": AGGS_PAGE_LIMIT}
        pages = fetch_bars(AGGS_RANGE_PATH, unit.ticker, path, params)
        if pages is None:
            return None
        # The request asks for adjusted bars; the flag is landed with them.
        bars = bars_table([table for page in pages for table in page], unit.ticker, adjusted=True)
        if not bars.num_rows and unit.timespan == "day":
            # A whole daily range with no bar means no data for the symbol at all;
            # an empty minute chunk is normal before a listing or on a thin ETF.
            reason = f"no bars from {unit.start} to {unit.end}"
            failed.append(FetchFailure(AGGS_RANGE_PATH, unit.ticker, reason, answered=True))
            return None
        return bars

    def aggs(timespan: str) -> Iterator[pa.Table]:
        units = [unit for unit in ranges if unit.timespan == timespan]
        yield from landed(_concurrently(units, fetch_range, concurrency))

    def aggs_resource(name: str, timespan: str) -> Any:
        # Minute loads are merged on the key: ohlcv_1min takes a load's rows as they are.
        merged = timespan == "minute"
        return dlt.resource(
            aggs,
            name=name,
            primary_key=("ticker", "t") if merged else None,
            write_disposition="merge" if merged else DAILY_BARS,
            columns=bar_columns(adjusted={"data_type": "bool", "nullable": False}),
            file_format="csv",  # Arrow tables go in with COPY
        )(timespan)

    return (
        tickers,
        grouped_daily,
        aggs_resource("aggs_daily", "day"),
        aggs_resource("aggs_minute", "minute"),
    )
