"""dlt source: the ticker list as of one session, listed and delisted, for the lifecycle.

`/v3/reference/tickers?date=D&active=…` answers what was listed on D, so a
run for an older session sees that session's market rather than today's.
The lifecycle models in dbt compare these snapshots; this module only lands.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import dlt

from extract.polygon.client import UNLIMITED, RequestPolicy, json_pages, polygon_client
from extract.polygon.rejects import RejectedRecord, checked_rows, typed_row
from extract.polygon.settings import (
    TICKER_COLUMNS,
    TICKERS_PAGE_LIMIT,
    TICKERS_PATH,
    column_hints,
    with_data_source,
)

LISTING_COLUMNS: dict[str, dict[str, Any]] = {
    **TICKER_COLUMNS,
    "as_of": {"data_type": "date", "nullable": False},
}


@dlt.source(name="polygon_listings")
def listings_source(
    base_url: str,
    api_key: str,
    session: date,
    policy: RequestPolicy = UNLIMITED,
    rejected: list[RejectedRecord] | None = None,
    data_source: str | None = None,
) -> Any:
    """Every stocks ticker, active or not, as listed on `session`.

    Args:
        base_url: Polygon-compatible API root (real API or sandbox).
        api_key: sent as a bearer token, never in URLs.
        session: the point in time to list the market at.
        policy: request rate and retry policy.
        rejected: collects malformed records, left out of their page.
        data_source: recorded in every row's `data_source` (settings.DATA_SOURCE_COLUMN).
    """
    set_aside = rejected if rejected is not None else []
    client = polygon_client(base_url, api_key, policy)

    @dlt.resource(
        name="ticker_listings",
        primary_key="ticker",
        write_disposition="merge",
        columns=column_hints(LISTING_COLUMNS),
    )
    def ticker_listings() -> Iterator[list[dict[str, Any]]]:
        for active in ("true", "false"):
            params = {
                "market": "stocks",
                "date": session.isoformat(),
                "active": active,
                "limit": TICKERS_PAGE_LIMIT,
            }
            for page in client.paginate(TICKERS_PATH, params=params, hooks=json_pages()):
                yield checked_rows(
                    TICKERS_PATH,
                    page,
                    page,
                    lambda row: typed_row({**row, "as_of": session}, LISTING_COLUMNS),
                    set_aside,
                )

    with_data_source(data_source, ticker_listings)
    return ticker_listings
