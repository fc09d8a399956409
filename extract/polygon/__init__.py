"""dlt source for the Polygon (Massive) REST API: fetch and land, nothing more.

The same code runs against the real API and the sandbox market: only the base
URL and the key differ. Business rules live in dbt, not here.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Iterator, Sequence
from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import dlt
from dlt.sources.helpers.rest_client import RESTClient
from dlt.sources.helpers.rest_client.auth import BearerTokenAuth
from dlt.sources.helpers.rest_client.paginators import JSONLinkPaginator

from extract.polygon.settings import (
    AGGS_PAGE_LIMIT,
    AGGS_RANGE_PATH,
    GROUPED_DAILY_PATH,
    TICKER_COLUMNS,
    TICKERS_PAGE_LIMIT,
    TICKERS_PATH,
    bar_columns,
)

_BAR_NUMERICS = ("o", "h", "l", "c", "v", "vw")


class NextUrlOnBaseUrl(JSONLinkPaginator):
    """Follows `next_url`, but always on the configured base URL.

    `next_url` carries no API key (the bearer header re-applies it) and names
    the API's public host, which a replay server or proxy must not be sent to.
    """

    def __init__(self, base_url: str) -> None:
        super().__init__(next_url_path="next_url")
        self._base = urlsplit(base_url)

    def update_request(self, request: Any) -> None:
        super().update_request(request)
        if request.url:
            target = urlsplit(request.url)
            request.url = urlunsplit(
                (self._base.scheme, self._base.netloc, target.path, target.query, "")
            )


def polygon_client(base_url: str, api_key: str) -> RESTClient:
    """A REST client with bearer auth; dlt's session retries 429/5xx with backoff."""
    return RESTClient(
        base_url=base_url,
        auth=BearerTokenAuth(token=api_key),
        paginator=NextUrlOnBaseUrl(base_url),
        data_selector="results",
    )


def _exact_bar(bar: dict[str, Any], ticker: str) -> dict[str, Any]:
    """One landed bar: `T` becomes `ticker`, prices become exact decimals."""
    row = {key: value for key, value in bar.items() if key != "T"}
    row["ticker"] = ticker
    for key in _BAR_NUMERICS:
        if isinstance(row.get(key), float | int):
            # str() of a float is its shortest round-trip text: the JSON's value.
            row[key] = Decimal(str(row[key]))
    return row


@dlt.source(name="polygon")
def polygon_source(
    base_url: str,
    api_key: str,
    sessions: Sequence[date] = (),
    symbols: Sequence[str] = (),
    start: date | None = None,
    end: date | None = None,
) -> Iterable[Any]:
    """Tickers, grouped daily bars for `sessions` and per-ticker daily bars.

    Args:
        base_url: Polygon-compatible API root (real API or sandbox).
        api_key: sent as a bearer token, never in URLs.
        sessions: trading sessions to fetch whole-market daily bars for.
        symbols: tickers whose daily bars from `start` to `end` are fetched.
        start: first date of the per-ticker range.
        end: last date of the per-ticker range.
    """
    client = polygon_client(base_url, api_key)

    @dlt.resource(
        name="tickers",
        primary_key="ticker",
        write_disposition="merge",
        columns=copy.deepcopy(TICKER_COLUMNS),
    )
    def tickers() -> Iterator[list[dict[str, Any]]]:
        params = {"market": "stocks", "limit": TICKERS_PAGE_LIMIT}
        yield from client.paginate(TICKERS_PATH, params=params)

    @dlt.resource(
        name="grouped_daily",
        primary_key=("ticker", "t"),
        write_disposition="merge",
        columns=bar_columns(request_date={"data_type": "date", "nullable": False}),
    )
    def grouped_daily() -> Iterator[list[dict[str, Any]]]:
        for session in sessions:
            path = GROUPED_DAILY_PATH.format(date=session.isoformat())
            for page in client.paginate(path, params={"adjusted": "true"}):
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
        for ticker in symbols:
            path = AGGS_RANGE_PATH.format(
                ticker=ticker,
                multiplier=1,
                timespan="day",
                start=start.isoformat(),
                end=end.isoformat(),
            )
            params = {"adjusted": "true", "sort": "asc", "limit": AGGS_PAGE_LIMIT}
            for page in client.paginate(path, params=params):
                adjusted = page.response.json().get("adjusted")
                yield [{**_exact_bar(bar, ticker), "adjusted": adjusted} for bar in page]

    return tickers, grouped_daily, aggs_daily
