"""`tickstock load`: a planned, resumable backfill of daily or minute bars."""

from __future__ import annotations

import contextlib
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

import typer
from rich.table import Table

from extract.polygon.work import Timespan
from kernel.settings import WRITER_WAIT_SECONDS, Profile, Settings
from orchestration.cli.common import (
    WaitOption,
    announce,
    as_date,
    console,
    date_option,
    errors,
    fail,
    state,
    writing,
)


class BarSize(StrEnum):
    DAY = "day"
    MINUTE = "minute"


TIMESPANS: dict[BarSize, Timespan] = {BarSize.DAY: "day", BarSize.MINUTE: "minute"}


def _window(
    start: date | None,
    end: date | None,
    years: float | None,
    months: float | None,
    profile: Profile,
) -> tuple[date, date]:
    from kernel.market_calendar import TradingCalendar
    from orchestration.jobs.eod import history_length, utc_now

    if start and (years or months):
        raise fail("give --from or --years/--months, not both", 2)
    for option, length in (("--years", years), ("--months", months)):
        if length is not None and length <= 0:
            raise fail(f"{option} must be more than 0, not {length:g}", 2)
    last = end or TradingCalendar().latest_completed_session(utc_now())
    if start:
        first = start
    elif years or months:
        first = last - history_length(months or 0.0, years or 0.0)
    else:
        first = last - history_length(profile.history_months)
    if first > last:
        raise fail(f"--from {first} is after --to {last}", 2)
    return first, last


def _tickers(symbols: str | None, universe: str | None) -> list[str] | None:
    """The tickers --symbols names, or None for the --universe's (read from the warehouse)."""
    if symbols is not None and universe is not None:
        raise fail("give --symbols or --universe, not both", 2)
    if symbols is None:
        return None
    tickers = list(dict.fromkeys(s.strip().upper() for s in symbols.split(",") if s.strip()))
    if not tickers:
        raise fail("--symbols names no ticker", 2)
    return tickers


def _universe_names(universe: str | None, profile: Profile) -> list[str]:
    """The group names --universe gives (comma-separated); `default` is the profile's."""
    names = [name.strip() for name in (universe or "default").split(",") if name.strip()]
    if not names:
        raise fail("--universe names no group", 2)
    return [n for name in names for n in (profile.universe if name == "default" else (name,))]


def _universe_symbols(database_url: str, universe: str | None, profile: Profile) -> list[str]:
    from orchestration.jobs import loads

    try:
        return loads.resolve_universe(database_url, _universe_names(universe, profile))
    except loads.UnknownUniverse as unknown:
        raise fail(str(unknown), 2) from None


def _scenario_defaults(
    name: str,
    start: date | None,
    end: date | None,
    symbols: str | None,
    universe: str | None,
    lengthed: bool,
) -> tuple[date | None, date, str | None]:
    """A scenario's year as the default window, the default universe as the default symbols."""
    from sandbox.scenarios import scenario as scenario_named

    try:
        shape = scenario_named(name)
    except ValueError as unknown:
        raise fail(str(unknown), 2) from None
    assert shape is not None  # a name was given
    if symbols is None and universe is None:
        universe = "default"
    first = start or (None if lengthed else shape.first)
    return first, end or shape.last, universe


def load_command(
    ctx: typer.Context,
    symbols: Annotated[
        str | None, typer.Option(help="Comma-separated tickers, e.g. AAPL,MSFT.")
    ] = None,
    universe: Annotated[
        str | None,
        typer.Option(
            help="Group(s) of marts.definition_groups, comma-separated: a universe "
            "(dev_top_10, top_500, sp500), etf:SPY, theme:growth, 'sector:Energy', `all` "
            "(every EOD-type symbol) or `default` (the TICKSTOCK_ENV profile's). "
            "`tickstock universes list` shows them. Default: `default`."
        ),
    ] = None,
    years: Annotated[
        float | None, typer.Option(help="History length in years (fractions allowed: 0.5).")
    ] = None,
    months: Annotated[
        float | None, typer.Option(help="History length in months (fractions allowed).")
    ] = None,
    start_at: Annotated[datetime | None, date_option("--from", help="First date.")] = None,
    end_at: Annotated[
        datetime | None,
        date_option("--to", help="Last date. Default: the latest completed session."),
    ] = None,
    timespan: Annotated[
        BarSize, typer.Option(help="Bar size: day (marts.ohlcv_daily) or minute (ohlcv_1min).")
    ] = BarSize.DAY,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run", help="Print the plan (calls, expected rows, time) and write nothing."
        ),
    ] = False,
    scenario: Annotated[
        str | None,
        typer.Option(
            help="Sandbox scenario to load (crash_2020, growth_2021, volatility_periods, "
            "trend_changes, high_low_events); the window defaults to its year, the symbols "
            "to the default universe. See docs/sandbox.md."
        ),
    ] = None,
    wait: WaitOption = WRITER_WAIT_SECONDS,
) -> None:
    """Backfill bars for symbols or a universe, then rebuild what they feed.

    With neither --symbols nor --universe, the TICKSTOCK_ENV profile's
    universe and history are loaded. An empty warehouse is bootstrapped
    first (seeds, calendar, ticker reference, groups marts).

    The planner picks grouped daily (one call per session, whole market) or
    per-ticker ranges (one call per up to 50,000 bars), whichever needs fewer
    calls. A killed load started again skips every unit that already landed.
    """
    from kernel.market_calendar import TradingCalendar
    from kernel.warehouse import export_connection_env, query, relation_exists, tested_bars_vars
    from orchestration.jobs.load_plan import describe, plan_load
    from orchestration.runtime.endpoints import polygon_endpoint

    start, end = as_date(start_at), as_date(end_at)
    if scenario is not None:
        start, end, universe = _scenario_defaults(
            scenario, start, end, symbols, universe, lengthed=bool(years or months)
        )
    shared = state(ctx)
    settings = shared.settings
    first, last = _window(start, end, years, months, settings.profile)
    named = _tickers(symbols, universe)
    sessions = TradingCalendar().sessions_between(first, last)
    if not sessions:
        raise fail(f"no trading session from {first} to {last}", 2)
    if scenario is not None and not settings.uses_sandbox:
        raise fail("--scenario needs the sandbox market: unset POLYGON_API_KEY", 2)
    database_url = shared.endpoints().database_url
    # A dry run writes nothing: it takes no writer lock.
    with contextlib.nullcontext() if dry_run else writing(ctx, database_url, wait, extracts=True):
        export_connection_env(database_url)
        if not relation_exists(database_url, "marts.definition_groups"):
            if dry_run:
                raise fail(
                    "the warehouse is empty: a dry run writes nothing, so it cannot bootstrap; "
                    "run the load without --dry-run (it bootstraps the warehouse first)",
                    2,
                )
            _bootstrap(settings, database_url)
        tickers = named or _universe_symbols(database_url, universe, settings.profile)
        if not dry_run:
            _extend_calendar(database_url, TradingCalendar(), first, last)
        (market_size,) = query(
            database_url, "select count(*) from raw_polygon.tickers where active"
        )[0]
        plan = plan_load(tickers, sessions, TIMESPANS[timespan], market_size=market_size)
        # The bar tests then read only the bars this load brings (macros/get_where_subquery.sql).
        tested = tested_bars_vars(database_url) if timespan == BarSize.DAY else {}

        with polygon_endpoint(settings, announce, scenario=scenario) as api:
            from orchestration.jobs.bulk_load import pending_units
            from orchestration.jobs.loads import PAID_CONCURRENCY

            concurrency = settings.polygon_concurrency or (
                1 if api.policy.per_minute else PAID_CONCURRENCY
            )
            scope = f"scenario={scenario}" if scenario else ""
            todo = pending_units(database_url, plan, scope)
            console.print(
                f"Loading {timespan} bars {first} → {last} ({len(sessions)} sessions) "
                f"for {len(tickers)} symbols"
            )
            for line in describe(plan, api.policy, concurrency, len(plan.units) - len(todo)):
                console.print(f"  {line}")
            if dry_run:
                console.print("Dry run: nothing fetched, nothing written.")
                return
            load = _run(database_url, api, plan, todo, concurrency, settings.load_batch_rows, scope)

        console.print(
            f"Landed {load.units_landed} units ({load.units_skipped} already there): {load.rows}"
        )
        _build(settings, timespan, tested)
        _report(database_url, load, tickers, plan)


def _extend_calendar(database_url: str, calendar, first: date, last: date) -> None:
    """Land the session spine back to `first` when the bars asked for are older
    than it (the quality models expect a bar only on a landed session)."""
    from orchestration.jobs.loads import calendar_needs_refresh, land_calendar

    if calendar_needs_refresh(database_url, last, first):
        console.print(f"Landing the {calendar.name} session calendar from {first}…")
        land_calendar(database_url, calendar, last, first)


def _run(database_url, api, plan, todo, concurrency: int, batch_rows: int, scope: str):
    from extract.polygon import PolygonAuthError
    from kernel.warehouse import query
    from orchestration.jobs.bulk_load import run_load
    from orchestration.jobs.load_progress import LoadProgress

    funds = dict(
        query(
            database_url,
            "select tickers.ticker, coalesce(types.is_fund, false) from raw_polygon.tickers"
            " left join marts.equity_types as types on tickers.type = types.type_code",
        )
    )
    try:
        with LoadProgress(console, funds, plan) as progress:
            progress.expect(todo)
            return run_load(
                database_url,
                api,
                plan,
                concurrency,
                batch_rows,
                progress.landed,
                todo=todo,
                scope=scope,
            )
    except PolygonAuthError as refused:
        raise fail(f"{refused}: check POLYGON_API_KEY") from None


def _bootstrap(settings: Settings, database_url: str) -> None:
    """Reference data, lifecycle and groups for an empty warehouse, as the EOD's first run."""
    import time

    from orchestration.jobs import loads
    from orchestration.jobs.eod import calendar_for, utc_now
    from orchestration.runtime.endpoints import polygon_endpoint

    started = time.monotonic()
    console.print("Empty warehouse: loading seeds, calendar, ticker reference and groups…")
    calendar = calendar_for(settings)
    session = calendar.latest_completed_session(utc_now())
    with polygon_endpoint(settings, announce) as api:
        landing = loads.bootstrap_warehouse(
            database_url, api, calendar, session, settings.dbt_target
        )
    rows = landing.rows if landing else {}
    console.print(
        f"Bootstrapped as of {session} in {time.monotonic() - started:.1f}s: "
        f"{sum(rows.values())} reference rows landed"
    )


def _build(settings: Settings, timespan: BarSize, tested: dict[str, str]) -> None:
    """Rebuild what the new bars feed (selectors daily_bars / minute_bars), not the project."""
    from orchestration.runtime.dbt_runner import run_dbt, summarise

    selector = "daily_bars" if timespan == BarSize.DAY else "minute_bars"
    console.print(f"Building the marts (dbt build --selector {selector})…")
    results = run_dbt("build", "--selector", selector, target=settings.dbt_target, variables=tested)
    console.print(f"dbt: {summarise(results)}")


def _report(database_url: str, load, tickers: list[str], plan) -> None:
    """Failed requests and symbols that brought no bars; exit 1 if data is missing."""
    from kernel.warehouse import query

    problems = [(f.endpoint, f.subject, f.reason) for f in load.failures]
    if plan.timespan == "minute":
        # An empty minute chunk is no error, but a symbol with no minute at all is.
        first, last = plan.units[0].start, plan.units[-1].end
        found = dict(
            query(
                database_url,
                "select ticker, count(*) from raw_polygon.aggs_minute where ticker = any(%s) "
                "and to_timestamp(t / 1000.0)::date between %s and %s group by ticker",
                (tickers, first, last),
            )
        )
        failed = {f.subject for f in load.failures}
        problems += [
            ("aggs", symbol, f"no minute bars from {first} to {last}: unknown or not trading")
            for symbol in tickers
            if not found.get(symbol) and symbol not in failed
        ]
    if not problems:
        return
    table = Table(title=f"{len(problems)} problem(s): their data is missing")
    for column in ("endpoint", "for", "reason"):
        table.add_column(column)
    for row in problems:
        table.add_row(*row)
    errors.print(table)
    raise typer.Exit(1)
