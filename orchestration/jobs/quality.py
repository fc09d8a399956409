"""The daily quality run: dbt quality models, auto-backfill, GX suites, report.

The rules live in dbt (`dbt_project/models/quality/`); this module runs them
for one session, re-fetches what is missing, validates with GX and writes the
report as JSON, Markdown and HTML under `.tickstock/reports/quality/<date>/`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from extract.polygon.endpoint import PolygonEndpoint
from kernel.market_calendar import TradingCalendar
from kernel.settings import STATE_DIR
from kernel.warehouse import query, relation_exists, tested_bars_vars
from orchestration.contracts.quality import (
    Anomaly,
    Backfill,
    BackfillPlanSummary,
    Gap,
    Issues,
    QualityReport,
    QualityReportPaths,
    SuiteOutcome,
)
from orchestration.jobs.backfill import (
    plan_backfill,
    read_expected,
    read_gaps,
    record_confirmed_absent,
    run_backfill,
    without_confirmed_absent,
)
from orchestration.jobs.rejections import rejected_count
from orchestration.reporting.renderer import Document, Link, Table, write_files
from orchestration.runtime.dbt_runner import run_dbt

REPORTS_DIR = STATE_DIR / "reports" / "quality"
_NEW_YORK = ZoneInfo("America/New_York")


@dataclass(frozen=True)
class QualityRun:
    """The report of one quality run and where it was written."""

    report: QualityReport
    paths: QualityReportPaths

    @property
    def success(self) -> bool:
        return self.report.quality_passed


def _build_quality_models(
    database_url: str,
    session: date,
    target: str,
    window: dict[str, int],
    selector: str = "quality",
) -> None:
    """Build a selector of dbt_project/selectors.yml for the session."""
    variables = {"quality_session": str(session)} | window | tested_bars_vars(database_url)
    run_dbt("build", "--selector", selector, target=target, variables=variables)


def audit_window(session: date, since: date | None) -> dict[str, int]:
    """The dbt vars that widen the gap and flag windows back to `since`.

    The daily run keeps the project's defaults (a quarter for gaps, 30
    sessions for flags); an audit looks at every session from `since` on,
    with the same rules and the same calendar (special closures such as the
    9/11 week are not sessions, so nothing is owed for them).
    """
    if since is None:
        return {}
    sessions = len(TradingCalendar().sessions_between(since, session))
    return {"quality_gap_sessions": sessions, "quality_flag_sessions": sessions}


def _grouped(gaps: dict[str, list[tuple[date, int]]]) -> list[Gap]:
    return [
        Gap(symbol=symbol, missing_sessions=[s for s, _ in sessions])
        for symbol, sessions in sorted(gaps.items())
    ]


def _duplicates_resolved(database_url: str, session: date) -> int:
    """Bars of the session delivered more than once, of which `ohlcv_daily` kept the newest.

    The raw logs are read by their epoch-millisecond `t`, between the
    session's New York midnights: a plain comparison per row, where the
    staging views' session_date would be computed for every bar in history.
    """
    start, end = (
        int(datetime.combine(day, time(), _NEW_YORK).timestamp() * 1000)
        for day in (session, session + timedelta(days=1))
    )
    logs = [
        f"select ticker from {table} where t >= %(start)s and t < %(end)s"
        for table in ("raw_polygon.grouped_daily", "raw_polygon.aggs_daily")
        if relation_exists(database_url, table)  # a warehouse may not have both yet
    ]
    if not logs:
        return 0
    ((count,),) = query(
        database_url,
        f"select count(*) - count(distinct ticker) from ({' union all '.join(logs)}) as bars",
        {"start": start, "end": end},
    )
    return int(count)


def _completeness(database_url: str, session: date) -> tuple[float, int, int]:
    rows = query(
        database_url,
        "select completeness_pct, symbols_expected, symbols_present"
        " from quality.session_completeness where session_date = %s",
        (session,),
    )
    if not rows:
        return 0.0, 0, 0
    pct, expected, present = rows[0]
    return float(pct), expected, present


def _anomalies(database_url: str, since: date, session: date) -> list[Anomaly]:
    rows = query(
        database_url,
        "select symbol, date, kind, measured_value from quality.daily_bar_flags"
        " where date between %s and %s order by date, symbol, kind",
        (since, session),
    )
    return [
        Anomaly(symbol=symbol, date=day, kind=kind, value=float(value))
        for symbol, day, kind, value in rows
    ]


def run_quality(
    database_url: str,
    session: date,
    target: str,
    endpoint: PolygonEndpoint | None = None,
    say: Callable[[str], None] = print,
    since: date | None = None,
) -> QualityRun:
    """Check one session; backfill gaps when an endpoint is given; write the report.

    Args:
        database_url: the warehouse.
        session: the trading session the run is for.
        target: dbt target.
        endpoint: where to re-fetch missing bars; None only reports gaps.
        say: progress output.
        since: audit the history from this session on (gaps and anomalies of
            every session up to `session`), not only the daily windows.
    """
    from expectations.ohlcv_daily import validate_all

    window = audit_window(session, since)
    _build_quality_models(database_url, session, target, window)
    found = read_gaps(database_url)
    missing_bars = sum(len(s) for s in found.values())
    remaining = found
    fetchable = without_confirmed_absent(database_url, found)
    backfill = Backfill(
        missing_bars=missing_bars,
        confirmed_absent=missing_bars - sum(len(s) for s in fetchable.values()),
        resolved_bars=0,
    )
    if fetchable and endpoint is not None:
        plan = plan_backfill(fetchable, read_expected(database_url))
        say(
            f"  backfilling {plan.missing_bars} missing bars of {len(fetchable)} symbols: "
            f"{len(plan.grouped_sessions)} whole-market sessions, {len(plan.ranges)} ranges"
        )
        result = run_backfill(database_url, endpoint, plan)
        if any(result.rows.values()):
            # Rebuild what the new raw bars feed: the bar models, then the quality models.
            _build_quality_models(database_url, session, target, window, "bars_and_quality")
            remaining = read_gaps(database_url)
        backfill.plan = BackfillPlanSummary.model_validate(plan.as_dict())
        backfill.rows_landed = result.rows
        backfill.failures = [f"{f.subject}: {f.reason}" for f in result.failures]
        backfill.newly_confirmed_absent = record_confirmed_absent(database_url, result, remaining)
    closed = missing_bars - sum(len(s) for s in remaining.values())
    backfill.resolved_bars = closed

    suites = validate_all(database_url, session)
    expectations = {
        name: SuiteOutcome(
            passed=outcome.passed, failed=len(outcome.failed), failures=outcome.failed
        )
        for name, outcome in suites.outcomes.items()
    }
    anomalies = _anomalies(database_url, since or session, session)
    duplicates = _duplicates_resolved(database_url, session)
    pct, expected, present = _completeness(database_url, session)

    unresolved_gaps = sum(len(s) for s in remaining.values())
    failed_expectations = sum(suite.failed for suite in expectations.values())
    resolved = closed + duplicates
    flagged = unresolved_gaps + len(anomalies) + failed_expectations
    found_issues = missing_bars + duplicates + len(anomalies) + failed_expectations
    issues = Issues(
        found=found_issues,
        auto_resolved=resolved,
        flagged=flagged,
        duplicates_resolved=duplicates,
        resolved_or_flagged_pct=(
            round(100.0 * (resolved + flagged) / found_issues, 2) if found_issues else 100.0
        ),
    )
    report = QualityReport(
        session_date=session,
        since=since,
        completeness_pct=pct,
        symbols_expected=expected,
        symbols_present=present,
        quality_passed=failed_expectations == 0,
        gaps=_grouped(remaining),
        anomalies=anomalies,
        expectations=expectations,
        skipped_suites=suites.skipped,
        issues=issues,
        rejected_records=rejected_count(database_url, session=session),
        backfill=backfill,
        data_docs=str(suites.data_docs_index),
    )
    folder = session.isoformat() if since is None else f"audit-{since}-{session}"
    return QualityRun(report, write_report(report, REPORTS_DIR / folder))


def write_report(report: QualityReport, folder: Path) -> QualityReportPaths:
    """Write the report as JSON, Markdown and HTML; return their paths."""
    files = write_files(_document(report), folder, "quality_report")
    return QualityReportPaths(
        quality_json=str(files.json),
        quality_markdown=str(files.markdown),
        quality_html=str(files.html),
    )


def _document(report: QualityReport) -> Document:
    """The report's tables, for the shared renderer."""
    issues = report.issues
    audited = f"{report.since} to " if report.since else ""
    summary = [
        [
            "session" if report.since is None else "sessions audited",
            f"{audited}{report.session_date}",
        ],
        ["completeness", f"{report.completeness_pct}%"],
        ["symbols expected / present", f"{report.symbols_expected} / {report.symbols_present}"],
        ["quality passed", str(report.quality_passed)],
        ["issues found", str(issues.found)],
        ["auto-resolved", str(issues.auto_resolved)],
        ["flagged", str(issues.flagged)],
        ["resolved or flagged", f"{issues.resolved_or_flagged_pct}%"],
        ["malformed records set aside", str(report.rejected_records)],
    ]
    suites = [
        [name, str(s.passed), str(s.failed), "; ".join(s.failures)]
        for name, s in report.expectations.items()
    ] + [[name, "-", "-", f"skipped: {why}"] for name, why in report.skipped_suites.items()]
    gaps = [
        [g.symbol, ", ".join(day.isoformat() for day in g.missing_sessions)] for g in report.gaps
    ]
    anomalies = [[a.symbol, a.date.isoformat(), a.kind, f"{a.value:g}"] for a in report.anomalies]
    return Document(
        title=f"Data quality — {audited}{report.session_date}",
        tables=[
            Table("Summary", ["measure", "value"], summary),
            Table("Expectation suites", ["suite", "passed", "failed", "failures"], suites),
            Table("Unresolved gaps", ["symbol", "missing sessions"], gaps),
            Table("Anomalies (flagged, data kept)", ["symbol", "date", "kind", "value"], anomalies),
        ],
        data=report.model_dump(mode="json"),
        links=[Link("GX Data Docs", report.data_docs)],
    )
