"""dlt source for the Polygon (Massive) REST API: fetch and land, nothing more.

The same code runs against the real API and the sandbox market: only the base
URL and the key differ. Business rules live in dbt, not here.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Iterator, Sequence
from datetime import date
from typing import Any

import dlt

from extract.polygon.client import UNLIMITED, RequestPolicy, polygon_client
from extract.polygon.fetching import FetchFailure, PageFetcher, PolygonAuthError, exact
from extract.polygon.settings import (
    AGGS_PAGE_LIMIT,
    AGGS_RANGE_PATH,
    GROUPED_DAILY_PATH,
    TICKER_COLUMNS,
    TICKERS_PAGE_LIMIT,
    TICKERS_PATH,
    bar_columns,
)

__all__ = ["FetchFailure", "PolygonAuthError", "polygon_source"]

_BAR_NUMERICS = ("o", "h", "l", "c", "v", "vw")


def _exact_bar(bar: dict[str, Any], ticker: str) -> dict[str, Any]:
    """One landed bar: `T` becomes `ticker`, prices become exact decimals."""
    row = {key: value for key, value in bar.items() if key != "T"}
    row["ticker"] = ticker
    return exact(row, _BAR_NUMERICS)


@dlt.source(name="polygon")
def polygon_source(
    base_url: str,
    api_key: str,
    sessions: Sequence[date] = (),
    symbols: Sequence[str] = (),
    start: date | None = None,
    end: date | None = None,
    policy: RequestPolicy = UNLIMITED,
    failures: list[FetchFailure] | None = None,
) -> Iterable[Any]:
    """Tickers, grouped daily bars for `sessions` and per-ticker daily bars.

    A symbol or session whose requests still fail after retries is appended to
    `failures` and skipped: all of its pages land, or none do.

    Args:
        base_url: Polygon-compatible API root (real API or sandbox).
        api_key: sent as a bearer token, never in URLs.
        sessions: trading sessions to fetch whole-market daily bars for.
        symbols: tickers whose daily bars from `start` to `end` are fetched.
        start: first date of the per-ticker range.
        end: last date of the per-ticker range.
        policy: request rate and retry policy.
        failures: collects what could not be fetched.
    """
    failed = failures if failures is not None else []
    fetch_all = PageFetcher(polygon_client(base_url, api_key, policy), failed).all_pages

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

    @dlt.resource(
        name="grouped_daily",
        primary_key=("ticker", "t"),
        write_disposition="merge",
        columns=bar_columns(request_date={"data_type": "date", "nullable": False}),
    )
    def grouped_daily() -> Iterator[list[dict[str, Any]]]:
        for session in sessions:
            path = GROUPED_DAILY_PATH.format(date=session.isoformat())
            pages = fetch_all(GROUPED_DAILY_PATH, session.isoformat(), path, {"adjusted": "true"})
            for page in pages or []:
                yield [{**_exact_bar(bar, bar["T"]), "request_date": session} for bar in page]

    @dlt.resource(
        name="aggs_daily",
        primary_key=("ticker", "t"),
        write_disposition="merge",
        columns=bar_columns(adjusted={"data_type": "bool", "nullable": True}),
    )
    def aggs_daily() -> Iterator[list[dict[str, Any]]]:
        if not symbols:
            return
        if start is None or end is None:
            raise ValueError("per-ticker bars need both start and end dates")
        params = {"adjusted": "true", "sort": "asc", "limit": AGGS_PAGE_LIMIT}
        for ticker in symbols:
            path = AGGS_RANGE_PATH.format(
                ticker=ticker,
                multiplier=1,
                timespan="day",
                start=start.isoformat(),
                end=end.isoformat(),
            )
            pages = fetch_all(AGGS_RANGE_PATH, ticker, path, params)
            if pages is not None and not any(pages):
                failed.append(
                    FetchFailure(AGGS_RANGE_PATH, ticker, f"no bars from {start} to {end}")
                )
            for page in pages or []:
                adjusted = page.response.json().get("adjusted")
                yield [{**_exact_bar(bar, ticker), "adjusted": adjusted} for bar in page]

    return tickers, grouped_daily, aggs_daily
