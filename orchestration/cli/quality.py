"""`tickstock quality --date D`: the daily quality run on its own, or a history audit."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from kernel.settings import WRITER_WAIT_SECONDS
from orchestration.cli.common import (
    WaitOption,
    announce,
    as_date,
    claim_data_source,
    console,
    date_option,
    fail,
    state,
    writing,
)

if TYPE_CHECKING:
    from orchestration.jobs.quality import QualityRun


def quality_command(
    ctx: typer.Context,
    session: Annotated[
        datetime | None,
        date_option(
            "--date",
            help="Session to check. Default: the latest completed session.",
        ),
    ] = None,
    since: Annotated[
        datetime | None,
        date_option(
            "--since",
            help="Audit the loaded history from this day on: every gap and anomaly"
            " up to --date, not only the daily windows (a quarter for gaps, 30"
            " sessions for anomalies).",
        ),
    ] = None,
    all_history: Annotated[
        bool,
        typer.Option(
            "--all-history", help="Audit from the oldest loaded bar (as --since that day)."
        ),
    ] = False,
    backfill: Annotated[
        bool | None,
        typer.Option(
            help="Re-fetch missing sessions before reporting."
            " Default: on for the daily run, off for an audit (--since, --all-history).",
        ),
    ] = None,
    wait: WaitOption = WRITER_WAIT_SECONDS,
) -> None:
    """Check a session: gaps (auto-backfilled), anomalies, GX suites; write the report.

    With --since or --all-history, audit the whole loaded history instead:
    every session each symbol owed between its first bar (or listing) and its
    delisting, with the same rules and exclusions, in the same report.
    """
    from extract.polygon import PolygonAuthError
    from kernel.market_calendar import TradingCalendar
    from kernel.warehouse import export_connection_env, relation_exists
    from orchestration.jobs.eod import utc_now
    from orchestration.jobs.quality import run_quality
    from orchestration.runtime.endpoints import polygon_endpoint

    calendar = TradingCalendar()
    day = as_date(session) or calendar.latest_completed_session(utc_now())
    if not calendar.sessions_between(day, day):
        raise fail(f"{day} is not a {calendar.name} trading session", 2)
    shared = state(ctx)
    settings, endpoints = shared.settings, shared.endpoints()
    export_connection_env(endpoints.database_url)
    try:
        with writing(ctx, endpoints.database_url, wait):
            # Under the lock: a load that bootstraps the warehouse has finished.
            if not relation_exists(endpoints.database_url, "marts.ohlcv_daily"):
                raise fail("the warehouse is empty: run `tickstock eod` (or `make eod`) first", 2)
            first = _audit_start(endpoints.database_url, as_date(since), all_history, day)
            if first is not None:
                console.print(f"auditing the history from {first} to {day}")
            if backfill if backfill is not None else first is None:
                claim_data_source(ctx, endpoints.database_url)
                with polygon_endpoint(settings, announce) as api:
                    report = run_quality(
                        endpoints.database_url, day, settings.dbt_target, api, console.print, first
                    )
            else:
                report = run_quality(
                    endpoints.database_url, day, settings.dbt_target, None, console.print, first
                )
    except PolygonAuthError as refused:
        raise fail(f"{refused}: check POLYGON_API_KEY") from None
    _print_report(report)
    if not report.success:
        raise typer.Exit(1)


def _audit_start(
    database_url: str, since: date | None, all_history: bool, day: date
) -> date | None:
    """The first day an audit looks at, or None for the daily run."""
    from kernel.warehouse import query

    if since is not None and all_history:
        raise fail("give --since or --all-history, not both", 2)
    if all_history:
        ((since,),) = query(database_url, "select min(date) from marts.ohlcv_daily")
        if since is None:
            raise fail("no daily bars are loaded yet: nothing to audit", 2)
    if since is not None and since > day:
        raise fail(f"--since {since} is after the session checked ({day})", 2)
    return since


def _print_report(checked: QualityRun) -> None:
    report, issues = checked.report, checked.report.issues
    audited = f"{report.since} to " if report.since else ""
    console.print(
        f"Quality {audited}{report.session_date}: completeness {report.completeness_pct}% "
        f"({report.symbols_present}/{report.symbols_expected}), "
        f"issues {issues.found}: auto-resolved {issues.auto_resolved}, "
        f"flagged {issues.flagged} ({issues.resolved_or_flagged_pct}%)"
    )
    table = Table(title="Expectation suites")
    for column in ("suite", "passed", "failed"):
        table.add_column(column)
    for name, suite in report.expectations.items():
        table.add_row(name, str(suite.passed), str(suite.failed))
    for name, why in report.skipped_suites.items():
        table.add_row(name, "-", f"skipped: {why}")
    console.print(table)
    for gap in report.gaps:
        sessions = ", ".join(day.isoformat() for day in gap.missing_sessions)
        console.print(f"[red]gap[/] {gap.symbol}: {sessions}")
    for anomaly in report.anomalies:
        console.print(
            f"[yellow]{anomaly.kind}[/] {anomaly.symbol} {anomaly.date} {anomaly.value:g}"
        )
    console.print(f"Quality report: {checked.paths.quality_html}")
    console.print(f"  JSON:         {checked.paths.quality_json}")
    console.print(f"  Markdown:     {checked.paths.quality_markdown}")
    console.print(f"GX Data Docs:   {report.data_docs}")
