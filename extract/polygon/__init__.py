"""dlt source for the Polygon (Massive) REST API: fetch and land, nothing more.

The same code runs against the real API and the sandbox market: only the base
URL and the key differ. Business rules live in dbt, not here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any, Final

import dlt
import pyarrow as pa

from extract.polygon.bar_fetcher import BarFetcher, BarUnit, Fetched
from extract.polygon.client import UNLIMITED, RequestPolicy, polygon_client
from extract.polygon.fetching import FetchFailure, PageFetcher, PolygonAuthError
from extract.polygon.load_files import csv_load_file
from extract.polygon.rejects import RejectedRecord, checked_rows, typed_row
from extract.polygon.settings import (
    TICKER_COLUMNS,
    TICKERS_PAGE_LIMIT,
    TICKERS_PATH,
    bar_columns,
    column_hints,
    with_data_source,
)
from extract.polygon.work import BarRange, GroupedSession

__all__ = ["FetchFailure", "PolygonAuthError", "RejectedRecord", "polygon_source"]

# Daily bars are appended, every load whole: their raw tables are a log of
# deliveries, and marts.ohlcv_daily keeps the newest delivery of each
# (symbol, session). A dlt merge would repeat that work with a COPY to staging
# plus a delete and an insert over the whole raw table, at a cost growing with
# history.
DAILY_BARS: Final = "append"

LOAD_FILE_ROWS = 50_000
UnitLanded = Callable[[BarUnit, pa.Table], None]


def _typed_ticker(row: dict[str, Any]) -> dict[str, Any]:
    return typed_row(row, TICKER_COLUMNS)


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
    prefetched: Sequence[Fetched] | None = None,
    rejected: list[RejectedRecord] | None = None,
    data_source: str | None = None,
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
        prefetched: units of bars a `BarFetcher` already fetched, landed
            instead of fetching `sessions` and `ranges` (a backfill fetches
            its next batch while dlt lands this one).
        rejected: collects malformed bars, left out of their page.
        data_source: recorded in every row's `data_source` (settings.DATA_SOURCE_COLUMN).
    """
    failed = failures if failures is not None else []
    client = polygon_client(base_url, api_key, policy)
    fetch_all = PageFetcher(client, failed).all_pages
    set_aside = rejected if rejected is not None else []
    bar_fetcher = BarFetcher(client, failed, set_aside)

    def fetched(units: Sequence[BarUnit], wanted: Callable[[BarUnit], bool]) -> Iterable[Fetched]:
        """The units `wanted` by a resource: prefetched, else fetched now from `units`."""
        if prefetched is not None:
            return [(unit, table) for unit, table in prefetched if wanted(unit)]
        return bar_fetcher.fetch_all([unit for unit in units if wanted(unit)], concurrency)

    def landed(units: Iterable[Fetched]) -> Iterator[Any]:
        """The fetched tables as load files, reporting each whole unit (empty ones too).

        A file holds about LOAD_FILE_ROWS rows: a file per ticker's range would
        cost dlt more bookkeeping than the bars' own writing.
        """
        chunk: list[pa.Table] = []
        chunk_rows = 0
        with TemporaryDirectory(prefix="tickstock-bars-") as directory:
            for unit, table in units:
                if table is None:
                    continue  # failed, and recorded in `failures`
                if on_landed is not None:
                    on_landed(unit, table)
                if table.num_rows:
                    chunk.append(table)
                    chunk_rows += table.num_rows
                if chunk_rows >= LOAD_FILE_ROWS:
                    yield csv_load_file(chunk, Path(directory), data_source)
                    chunk, chunk_rows = [], 0
            if chunk:
                yield csv_load_file(chunk, Path(directory), data_source)

    @dlt.resource(
        name="tickers",
        primary_key="ticker",
        write_disposition="merge",
        columns=column_hints(TICKER_COLUMNS),
    )
    def tickers() -> Iterator[list[dict[str, Any]]]:
        params = {"market": "stocks", "limit": TICKERS_PAGE_LIMIT}
        for page in fetch_all(TICKERS_PATH, "all", TICKERS_PATH, params) or []:
            yield checked_rows(TICKERS_PATH, page, page, _typed_ticker, set_aside)

    @dlt.resource(
        name="grouped_daily",
        write_disposition=DAILY_BARS,
        columns=bar_columns(request_date={"data_type": "date", "nullable": False}),
    )
    def grouped_daily() -> Iterator[Any]:
        units = [GroupedSession(session) for session in sessions]
        yield from landed(fetched(units, lambda unit: isinstance(unit, GroupedSession)))

    def aggs(timespan: str) -> Iterator[Any]:
        def wanted(unit: BarUnit) -> bool:
            return isinstance(unit, BarRange) and unit.timespan == timespan

        yield from landed(fetched(ranges, wanted))

    def aggs_resource(name: str, timespan: str) -> Any:
        # Minute loads are merged on the key: ohlcv_1min takes a load's rows as they are.
        if timespan == "minute":
            merged: dict[str, Any] = {"primary_key": ("ticker", "t"), "write_disposition": "merge"}
        else:
            merged = {"write_disposition": DAILY_BARS}
        return dlt.resource(
            aggs,
            name=name,
            columns=bar_columns(adjusted={"data_type": "bool", "nullable": False}),
            **merged,
        )(timespan)

    with_data_source(data_source, tickers)
    return (
        tickers,
        grouped_daily,
        aggs_resource("aggs_daily", "day"),
        aggs_resource("aggs_minute", "minute"),
    )
