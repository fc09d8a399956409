"""`tickstock load`: a planned, resumable backfill of daily or minute bars."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import typer
from rich.table import Table

from extract.polygon.work import Timespan
from orchestration.cli.common import _announce, _endpoints, _fail, _parse_date, console, errors


def _window(start: str | None, end: str | None, years: int | None, months: int | None):
    from kernel.market_calendar import TradingCalendar
    from orchestration.jobs.eod import BOOTSTRAP_HISTORY, utc_now

    if start and (years or months):
        raise _fail("give --from or --years/--months, not both", 2)
    last = (
        _parse_date(end, "--to") if end else TradingCalendar().latest_completed_session(utc_now())
    )
    if start:
        first = _parse_date(start, "--from")
    elif years or months:
        first = last - timedelta(days=365 * (years or 0) + 31 * (months or 0))
    else:
        first = last - BOOTSTRAP_HISTORY
    if first > last:
        raise _fail(f"--from {first} is after --to {last}", 2)
    return first, last


def _symbols(database_url: str, symbols: str | None, universe: str | None) -> list[str]:
    from orchestration.jobs import loads

    if (symbols is None) == (universe is None):
        raise _fail("give exactly one of --symbols or --universe", 2)
    if universe is not None:
        if universe != "default":
            raise _fail(f"unknown universe {universe!r}; known: default", 2)
        return loads.universe_symbols(database_url)
    tickers = list(dict.fromkeys(s.strip().upper() for s in symbols.split(",") if s.strip()))
    if not tickers:
        raise _fail("--symbols names no ticker", 2)
    return tickers


def _scenario_defaults(name: str, start, end, symbols, universe, lengthed: bool):
    """A scenario's year as the default window, the default universe as the default symbols."""
    from sandbox.scenarios import scenario as scenario_named

    try:
        shape = scenario_named(name)
    except ValueError as unknown:
        raise _fail(str(unknown), 2) from None
    if symbols is None and universe is None:
        universe = "default"
    first = start or (None if lengthed else shape.first.isoformat())
    return first, end or shape.last.isoformat(), universe


def load_command(
    symbols: Annotated[
        str | None, typer.Option(help="Comma-separated tickers, e.g. AAPL,MSFT.")
    ] = None,
    universe: Annotated[
        str | None, typer.Option(help="Universe key: 'default' (the dev universe seed).")
    ] = None,
    years: Annotated[int | None, typer.Option(min=1, help="History length in years.")] = None,
    months: Annotated[int | None, typer.Option(min=1, help="History length in months.")] = None,
    start: Annotated[str | None, typer.Option("--from", help="First date (YYYY-MM-DD).")] = None,
    end: Annotated[
        str | None,
        typer.Option("--to", help="Last date (YYYY-MM-DD). Default: the latest completed session."),
    ] = None,
    timespan: Annotated[
        str, typer.Option(help="Bar size: 'day' (marts.ohlcv_daily) or 'minute' (ohlcv_1min).")
    ] = "day",
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
) -> None:
    """Backfill bars for symbols or a universe, then rebuild the marts.

    The planner picks grouped daily (one call per session, whole market) or
    per-ticker ranges (one call per up to 50,000 bars), whichever needs fewer
    calls. A killed load started again skips every unit that already landed.
    """
    from kernel.market_calendar import TradingCalendar
    from kernel.warehouse import export_connection_env, query, relation_exists
    from orchestration.jobs.load_plan import describe, plan_load
    from orchestration.runtime.endpoints import polygon_endpoint

    if timespan not in ("day", "minute"):
        raise _fail(f"--timespan must be 'day' or 'minute', not {timespan!r}", 2)
    if scenario is not None:
        start, end, universe = _scenario_defaults(
            scenario, start, end, symbols, universe, lengthed=bool(years or months)
        )
    first, last = _window(start, end, years, months)
    settings, endpoints = _endpoints()
    database_url = endpoints.database_url
    export_connection_env(database_url)
    if not relation_exists(database_url, "marts.ohlcv_daily"):
        # The calendar, seeds and ticker reference come from the bootstrap.
        raise _fail("the warehouse is empty: run `tickstock eod` (or `make eod`) first", 2)
    tickers = _symbols(database_url, symbols, universe)
    sessions = TradingCalendar().sessions_between(first, last)
    if not sessions:
        raise _fail(f"no trading session from {first} to {last}", 2)
    (market_size,) = query(database_url, "select count(*) from raw_polygon.tickers where active")[0]
    plan = plan_load(tickers, sessions, _timespan(timespan), market_size=market_size)

    if scenario is not None and not settings.uses_sandbox:
        raise _fail("--scenario needs the sandbox market: unset POLYGON_API_KEY", 2)
    with polygon_endpoint(settings, _announce, scenario=scenario) as api:
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
    _build(settings)
    _report(database_url, load, tickers, plan)


def _timespan(text: str) -> Timespan:
    return "day" if text == "day" else "minute"


def _run(database_url, api, plan, todo, concurrency: int, batch_rows: int, scope: str):
    from extract.polygon import PolygonAuthError
    from kernel.warehouse import query
    from orchestration.jobs.bulk_load import run_load
    from orchestration.jobs.load_progress import LoadProgress

    types = dict(query(database_url, "select ticker, type from raw_polygon.tickers"))
    try:
        with LoadProgress(console, types, plan) as progress:
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
        raise _fail(f"{refused}: check POLYGON_API_KEY") from None


def _build(settings) -> None:
    from orchestration.runtime.dbt_runner import run_dbt, summarise

    console.print("Building the marts (dbt build)…")
    console.print(f"dbt: {summarise(run_dbt('build', target=settings.dbt_target))}")


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
