"""Landing Polygon reference data (details, types, events, actions, market state)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from extract.pipelines import make_pipeline, run_and_count
from extract.polygon.endpoint import PolygonEndpoint
from extract.polygon.reference import polygon_reference_source
from orchestration.jobs.loads import Landing

REFERENCE_RESOURCES = (
    "ticker_details",
    "ticker_types",
    "ticker_events",
    "splits",
    "dividends",
    "snapshot",
    "market_status",
    "market_holidays",
)


def land_reference(
    database_url: str,
    endpoint: PolygonEndpoint,
    symbols: Sequence[str] = (),
    resources: Sequence[str] = REFERENCE_RESOURCES,
    as_of: date | None = None,
    action_symbols: Sequence[str] | None = None,
    run_id: str | None = None,
    action_date: date | None = None,
) -> Landing:
    """Fetch the named reference resources and merge them into `raw_polygon`.

    Args:
        database_url: the warehouse.
        endpoint: the API to fetch from.
        symbols: tickers whose details and ticker-change events are fetched.
        resources: which of `REFERENCE_RESOURCES` to land.
        as_of: point-in-time date for ticker details; None for current.
        action_symbols: tickers whose splits and dividends are fetched; None
            (and no `action_date`) for the whole market's.
        action_date: also fetch the whole market's splits executed and
            dividends going ex on this day.
        run_id: the run malformed records are kept under (a new id when None).
    """
    pipeline = make_pipeline("polygon_reference", "raw_polygon", database_url)
    landing = Landing()
    source = polygon_reference_source(
        endpoint.base_url,
        endpoint.api_key,
        policy=endpoint.policy,
        symbols=symbols,
        failures=landing.failures,
        as_of=as_of,
        action_symbols=action_symbols,
        rejected=landing.rejected,
        action_date=action_date,
        data_source=endpoint.data_source,
    ).with_resources(*resources)
    aborted: list[str] = []
    try:
        landing.rows = run_and_count(pipeline, source, aborted)
    finally:
        landing.note_aborted(aborted)
        landing.keep_rejected(database_url, run_id)
    return landing
