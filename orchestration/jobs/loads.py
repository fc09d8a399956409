"""Landing steps shared by `eod` and `load`: which data to fetch, then dlt lands it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from extract.calendar import calendar_source, venue_calendar_source
from extract.pipelines import make_pipeline, run_and_count
from extract.polygon import FetchFailure, polygon_source
from extract.polygon.endpoint import PolygonEndpoint
from extract.polygon.work import BarRange
from kernel.market_calendar import TradingCalendar
from kernel.warehouse import query, relation_exists

CALENDAR_START = date(1980, 1, 1)
"""The session spine starts here, or at the oldest bar loaded if that is older."""
CALENDAR_HORIZON = timedelta(days=400)
UNIVERSE_TABLE = "seeds.dev_universe"
# Requests in flight on a plan without a per-minute limit. On a free plan (5 calls
# a minute) more than one in flight would only queue at the limiter.
PAID_CONCURRENCY = 8


def calendar_needs_refresh(database_url: str, session: date, first: date | None = None) -> bool:
    """True when the landed calendar does not reach well past `session`, or back to
    `first` (the oldest bar wanted) and `CALENDAR_START`."""
    if not relation_exists(database_url, "raw_calendar.sessions"):
        return True
    sql = "select min(session_date), max(session_date) from raw_calendar.sessions"
    (oldest, last) = query(database_url, sql)[0]
    start = min(first or CALENDAR_START, CALENDAR_START)
    if oldest is None or last is None:
        return True
    # The first session on or after `start` may be a few days later (a weekend).
    return bool(last < session + timedelta(days=30) or oldest > start + timedelta(days=7))


def land_calendar(
    database_url: str, calendar: TradingCalendar, session: date, first: date | None = None
) -> dict[str, int]:
    """Land the exchange's sessions from 1980 (or `first`, when older) to about a
    year after `session`."""
    pipeline = make_pipeline("calendar", "raw_calendar", database_url)
    start = min(first or CALENDAR_START, CALENDAR_START)
    source = calendar_source(calendar, start, session + CALENDAR_HORIZON)
    return run_and_count(pipeline, source)


def land_venue_calendars(database_url: str, session: date) -> dict[str, int]:
    """Land the sessions of listed symbols' primary exchanges abroad, when they fall short.

    A venue's calendar (pandas-market-calendars) is landed once from 2000 to
    about a year after `session`, and again when it no longer reaches well
    past `session`. The quality models read them: a symbol listed abroad is
    expected only on sessions its venue holds too.
    """
    if not relation_exists(database_url, "raw_polygon.ticker_listings"):
        return {}
    sql = "select distinct primary_exchange from raw_polygon.ticker_listings"
    mics = sorted(mic for (mic,) in query(database_url, sql) if mic)
    abroad = {mic: TradingCalendar.for_exchange(mic) for mic in mics}
    abroad = {mic: calendar for mic, calendar in abroad.items() if calendar.name != "XNYS"}
    reach: dict[str, date] = {}
    if abroad and relation_exists(database_url, "raw_calendar.venue_sessions"):
        sql = "select venue, max(session_date) from raw_calendar.venue_sessions group by venue"
        reach = dict(query(database_url, sql))
    due = {
        mic: calendar
        for mic, calendar in abroad.items()
        if reach.get(mic) is None or reach[mic] < session + timedelta(days=30)
    }
    if not due:
        return {}
    pipeline = make_pipeline("venue_calendars", "raw_calendar", database_url)
    source = venue_calendar_source(due, CALENDAR_START, session + CALENDAR_HORIZON)
    return run_and_count(pipeline, source)


def land_listings(database_url: str, endpoint: PolygonEndpoint, session: date) -> dict[str, int]:
    """Land the ticker list as of `session` (listed and delisted) for the lifecycle models."""
    from extract.polygon.listings import listings_source

    pipeline = make_pipeline("polygon_listings", "raw_polygon", database_url)
    source = listings_source(endpoint.base_url, endpoint.api_key, session, endpoint.policy)
    return run_and_count(pipeline, source)


def universe_symbols(database_url: str) -> list[str]:
    """The symbols the EOD job tracks (the dev universe seed)."""
    rows = query(database_url, f"select symbol from {UNIVERSE_TABLE} order by symbol")
    return [symbol for (symbol,) in rows]


@dataclass
class Landing:
    """Rows landed per table, and what could not be fetched."""

    rows: dict[str, int] = field(default_factory=dict)
    failures: list[FetchFailure] = field(default_factory=list)


def land_polygon(
    database_url: str,
    endpoint: PolygonEndpoint,
    resources: Sequence[str],
    symbols: Sequence[str] = (),
    sessions: Sequence[date] = (),
    start: date | None = None,
    end: date | None = None,
    ranges: Sequence[BarRange] = (),
) -> Landing:
    """Fetch the named Polygon resources and land them into `raw_polygon`, in one dlt load.

    `symbols` with `start` and `end` ask for daily per-ticker ranges, `ranges`
    for ranges of their own; resumable backfills with a plan go through
    `orchestration.jobs.bulk_load` instead. On a paid plan requests run
    `PAID_CONCURRENCY` at a time.
    """
    if symbols and (start is None or end is None):
        raise ValueError("per-ticker bars need both start and end dates")
    ranges = [BarRange(symbol, "day", start, end) for symbol in symbols] + list(ranges)
    pipeline = make_pipeline("polygon", "raw_polygon", database_url)
    landing = Landing()
    source = polygon_source(
        endpoint.base_url,
        endpoint.api_key,
        sessions=sessions,
        ranges=ranges,
        policy=endpoint.policy,
        failures=landing.failures,
        concurrency=1 if endpoint.policy.per_minute else PAID_CONCURRENCY,
    ).with_resources(*resources)
    landing.rows = run_and_count(pipeline, source)
    return landing
