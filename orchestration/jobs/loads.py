"""Landing steps shared by `eod` and `load`: which data to fetch, then dlt lands it."""

from __future__ import annotations

import difflib
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from extract.calendar import calendar_source, venue_calendar_source
from extract.pipelines import make_pipeline, run_and_count
from extract.polygon import FetchFailure, RejectedRecord, polygon_source
from extract.polygon.endpoint import PolygonEndpoint
from extract.polygon.work import BarRange
from kernel.market_calendar import TradingCalendar
from kernel.settings import ALL_EOD_SYMBOLS, DBT_PROJECT_DIR, REPO_ROOT, Profile
from kernel.warehouse import connect, query, relation_exists
from orchestration.jobs.rejections import new_run_id, record_rejected
from orchestration.runtime.dbt_runner import run_dbt
from orchestration.runtime.ops_schema import ensure_ops_schema

CALENDAR_START = date(1980, 1, 1)
"""The session spine starts here, or at the oldest bar loaded if that is older."""
CALENDAR_HORIZON = timedelta(days=400)
UNIVERSE_TABLE = "seeds.dev_universe"
SEEDS_DIR = REPO_ROOT / "seeds" / "reference"  # dbt_project.yml's seed-paths
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


def land_listings(
    database_url: str, endpoint: PolygonEndpoint, session: date, run_id: str | None = None
) -> dict[str, int]:
    """Land the ticker list as of `session` (listed and delisted) for the lifecycle models.

    Malformed records are kept in `ops.rejected_records` under `run_id`.
    """
    from extract.polygon.listings import listings_source

    pipeline = make_pipeline("polygon_listings", "raw_polygon", database_url)
    rejected: list[RejectedRecord] = []
    source = listings_source(
        endpoint.base_url,
        endpoint.api_key,
        session,
        endpoint.policy,
        rejected,
        data_source=endpoint.data_source,
    )
    try:
        return run_and_count(pipeline, source)
    finally:
        record_rejected(database_url, run_id or new_run_id(), rejected)


def universe_symbols(database_url: str) -> list[str]:
    """The dev universe seed: the symbols an empty warehouse gets details for first."""
    rows = query(database_url, f"select symbol from {UNIVERSE_TABLE} order by symbol")
    return [symbol for (symbol,) in rows]


# ------------------------------------------------------------------- groups


class UnknownUniverse(ValueError):
    """A --universe name that is no group of marts.definition_groups (or names no symbol)."""


@dataclass(frozen=True)
class GroupInfo:
    """One group of marts.definition_groups as `--universe` names it."""

    key: str
    group_type: str
    name: str
    members: int
    description: str | None


def group_key(group_type: str, name: str) -> str:
    """The name `--universe` takes: a universe's own name, else `<type>:<name>` (etf:SPY)."""
    return name if group_type == "UNIVERSE" else f"{group_type.lower()}:{name}"


def list_groups(database_url: str) -> list[GroupInfo]:
    """Every group, universes first, with its current member count."""
    rows = query(
        database_url,
        "select group_type, name, member_count, description from marts.definition_groups"
        " order by group_type <> 'UNIVERSE', group_type, name",
    )
    return [
        GroupInfo(group_key(kind, name), kind, name, members, description)
        for kind, name, members, description in rows
    ]


def _find_group(groups: Sequence[GroupInfo], name: str) -> GroupInfo:
    """The group `name` means: its key (any case), or a bare name only one group has."""
    for matches in (
        [g for g in groups if g.key == name],
        [g for g in groups if g.key.lower() == name.lower()],
        [g for g in groups if g.name.lower() == name.lower()],
    ):
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            keys = ", ".join(g.key for g in matches)
            raise UnknownUniverse(f"{name!r} names several groups: {keys}; give one of them")
    by_lower = {g.key.lower(): g.key for g in groups}
    close = difflib.get_close_matches(name.lower(), by_lower, n=5, cutoff=0.6)
    hint = f"close matches: {', '.join(by_lower[c] for c in close)}" if close else "no close match"
    raise UnknownUniverse(
        f"unknown universe {name!r}; {hint} (`tickstock universes list` shows all "
        f"{len(groups)} groups)"
    )


def resolve_universe(database_url: str, names: Sequence[str]) -> list[str]:
    """The symbols of the named groups, in order, each once.

    `all` is every active symbol of an EOD-updated type (lifecycle.symbol_processing).
    """
    groups = list_groups(database_url)
    symbols: dict[str, None] = {}
    for name in names:
        if name == ALL_EOD_SYMBOLS:
            rows = query(
                database_url,
                "select symbol from lifecycle.symbol_processing"
                " where is_active and eod_update order by symbol",
            )
        else:
            group = _find_group(groups, name)
            rows = query(
                database_url,
                "select symbol from marts.group_memberships"
                " where group_type = %s and group_name = %s order by member_rank, symbol",
                (group.group_type, group.name),
            )
        if not rows:
            hint = (
                ": load its holdings with `tickstock holdings load`"
                if name.lower().startswith("etf:")
                else ""
            )
            raise UnknownUniverse(f"{name!r} has no members yet{hint}; nothing to load")
        symbols.update(dict.fromkeys(symbol for (symbol,) in rows))
    return list(symbols)


def profile_symbols(database_url: str, profile: Profile, session: date) -> list[str]:
    """The symbols of the profile's default universe; builds the groups first if need be."""
    groups = [name for name in profile.universe if name != ALL_EOD_SYMBOLS]
    if groups and not relation_exists(database_url, "marts.definition_groups"):
        build_bootstrap_models(profile.dbt_target, session)
    return resolve_universe(database_url, profile.universe)


# ---------------------------------------------------------------- bootstrap


def seeds_fingerprint() -> str:
    """sha256 of the seed files and the project file that configures them."""
    digest = hashlib.sha256()
    files = sorted(path for path in SEEDS_DIR.rglob("*") if path.is_file())
    for path in [*files, DBT_PROJECT_DIR / "dbt_project.yml"]:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def ensure_seeds(database_url: str, dbt_target: str) -> bool:
    """Load and test the seeds when their files changed since this warehouse loaded them.

    Seeds change with the code, not with the market: a daily run that
    reloads 13 seeds and runs their 54 tests spends about 2 s on nothing.
    Only the tests whose every parent is a seed run here (cautious); the
    others run with the models they also read. Returns whether it loaded.
    """
    ensure_ops_schema(database_url)
    wanted = seeds_fingerprint()
    ((loaded,),) = query(database_url, "select seeds_fingerprint from ops.warehouse")
    if loaded == wanted and relation_exists(database_url, UNIVERSE_TABLE):
        return False
    run_dbt(
        "build",
        "--select",
        "resource_type:seed",
        "--indirect-selection",
        "cautious",
        target=dbt_target,
    )
    with connect(database_url) as connection, connection.cursor() as cursor:
        cursor.execute("update ops.warehouse set seeds_fingerprint = %s", (wanted,))
    return True


def land_reference_snapshot(
    database_url: str,
    endpoint: PolygonEndpoint,
    calendar: TradingCalendar,
    session: date,
    dbt_target: str,
    run_id: str | None = None,
) -> Landing:
    """Seeds, calendar, the ticker list as of `session`, and the tickers' reference data.

    The dev universe's details and past splits and dividends are fetched
    when one of its symbols is first seen, so a free plan (5 calls a minute)
    is not spent on reference data every day; from then on the session's
    actions (two calls for the whole market, by execution and ex-dividend
    date) keep every symbol's adjustment factors current. Once the lifecycle
    state exists, the EOD refreshes every tracked symbol's details itself, a
    slice a session (`refresh_ticker_details`). Shared by the EOD's reference
    step and the bootstrap of a load on an empty warehouse. Malformed records
    are kept in `ops.rejected_records` under `run_id`.
    """
    from orchestration.jobs.reference import land_reference

    landing = Landing()
    ensure_seeds(database_url, dbt_target)
    if calendar_needs_refresh(database_url, session):
        landing.rows |= land_calendar(database_url, calendar, session)
    landing.rows |= land_listings(database_url, endpoint, session, run_id)
    landing.rows |= land_venue_calendars(database_url, session)
    tickers = land_polygon(database_url, endpoint, resources=("tickers",), run_id=run_id)
    landing.rows |= tickers.rows
    landing.failures += tickers.failures

    tracked = universe_symbols(database_url)
    known: set[str] = set()
    if relation_exists(database_url, "raw_polygon.ticker_details"):
        sql = "select ticker from raw_polygon.ticker_details"
        known = {ticker for (ticker,) in query(database_url, sql)}
    new = [symbol for symbol in tracked if symbol not in known]
    resources = ["market_holidays", "splits", "dividends"]
    if new:
        resources.append("ticker_details")
    if not relation_exists(database_url, "raw_polygon.ticker_types"):
        resources.append("ticker_types")
    details = land_reference(
        database_url,
        endpoint,
        symbols=new,
        resources=resources,
        action_symbols=new,
        action_date=session,
        run_id=run_id,
    )
    landing.rows |= details.rows
    landing.failures += details.failures
    return landing


def build_bootstrap_models(dbt_target: str, session: date) -> None:
    """Build the lifecycle state and the groups marts (dbt selector warehouse_bootstrap)."""
    run_dbt(
        "build",
        "--selector",
        "warehouse_bootstrap",
        target=dbt_target,
        variables={"session_date": session.isoformat()},
    )


def bootstrap_warehouse(
    database_url: str,
    endpoint: PolygonEndpoint,
    calendar: TradingCalendar,
    session: date,
    dbt_target: str,
) -> Landing | None:
    """Make an empty warehouse loadable: reference data, lifecycle, groups marts.

    Returns what was landed, or None when the warehouse had them already.
    """
    if relation_exists(database_url, "marts.definition_groups"):
        return None
    landing = land_reference_snapshot(database_url, endpoint, calendar, session, dbt_target)
    build_bootstrap_models(dbt_target, session)
    return landing


@dataclass
class Landing:
    """Rows landed per table, what could not be fetched, and the malformed records set aside."""

    rows: dict[str, int] = field(default_factory=dict)
    failures: list[FetchFailure] = field(default_factory=list)
    rejected: list[RejectedRecord] = field(default_factory=list)

    def note_aborted(self, aborted: list[str]) -> None:
        """Report packages an earlier run left that were dropped (see `run_and_count`)."""
        self.failures += [FetchFailure("dlt", "pending load package", text) for text in aborted]

    def keep_rejected(self, database_url: str, run_id: str | None) -> None:
        """Keep the records set aside in `ops.rejected_records`, under `run_id` (or a new id)."""
        record_rejected(database_url, run_id or new_run_id(), self.rejected)


def land_polygon(
    database_url: str,
    endpoint: PolygonEndpoint,
    resources: Sequence[str],
    symbols: Sequence[str] = (),
    sessions: Sequence[date] = (),
    start: date | None = None,
    end: date | None = None,
    ranges: Sequence[BarRange] = (),
    run_id: str | None = None,
) -> Landing:
    """Fetch the named Polygon resources and land them into `raw_polygon`, in one dlt load.

    `symbols` with `start` and `end` ask for daily per-ticker ranges, `ranges`
    for ranges of their own; resumable backfills with a plan go through
    `orchestration.jobs.bulk_load` instead. On a paid plan requests run
    `PAID_CONCURRENCY` at a time. Malformed bars are kept in
    `ops.rejected_records` under `run_id` (a new id when None).
    """
    if symbols:
        if start is None or end is None:
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
        rejected=landing.rejected,
        data_source=endpoint.data_source,
    ).with_resources(*resources)
    aborted: list[str] = []
    try:
        landing.rows = run_and_count(pipeline, source, aborted)
    finally:
        landing.note_aborted(aborted)
        # What was set aside is a fact about the response, whether or not the rest landed.
        landing.keep_rejected(database_url, run_id)
    return landing
