"""The daily quality run: dbt quality models, auto-backfill, GX suites, report.

The rules live in dbt (`dbt_project/models/quality/`); this module runs them
for one session, re-fetches what is missing, validates with GX and writes the
report as JSON, Markdown and HTML under `.tickstock/reports/quality/<date>/`.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import orjson

from extract.polygon.endpoint import PolygonEndpoint
from kernel.settings import STATE_DIR
from kernel.warehouse import query, tested_bars_vars
from orchestration.jobs.backfill import (
    plan_backfill,
    read_expected,
    read_gaps,
    record_confirmed_absent,
    run_backfill,
    without_confirmed_absent,
)
from orchestration.jobs.rejections import rejected_count
from orchestration.runtime.dbt_runner import run_dbt

REPORTS_DIR = STATE_DIR / "reports" / "quality"
_NEW_YORK = ZoneInfo("America/New_York")


@dataclass
class QualityReport:
    """Everything the quality run found for one session."""

    session_date: date
    completeness_pct: float
    symbols_expected: int
    symbols_present: int
    gaps: list[dict[str, Any]]
    anomalies: list[dict[str, Any]]
    expectations: dict[str, dict[str, Any]]
    skipped_suites: dict[str, str]
    issues: dict[str, Any]
    backfill: dict[str, Any]
    data_docs_index: Path
    rejected_records: int = 0
    paths: dict[str, str] = field(default_factory=dict)

    @property
    def success(self) -> bool:
        return all(suite["failed"] == 0 for suite in self.expectations.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "session_date": self.session_date.isoformat(),
            "completeness_pct": self.completeness_pct,
            "symbols_expected": self.symbols_expected,
            "symbols_present": self.symbols_present,
            "quality_passed": self.success,
            "gaps": self.gaps,
            "anomalies": self.anomalies,
            "expectations": self.expectations,
            "skipped_suites": self.skipped_suites,
            "issues": self.issues,
            "rejected_records": self.rejected_records,
            "backfill": self.backfill,
            "data_docs": str(self.data_docs_index),
        }


def _build_quality_models(
    database_url: str, session: date, target: str, selector: str = "quality"
) -> None:
    """Build a selector of dbt_project/selectors.yml for the session."""
    variables = {"quality_session": str(session)} | tested_bars_vars(database_url)
    run_dbt("build", "--selector", selector, target=target, variables=variables)


def _grouped(gaps: dict[str, list[tuple[date, int]]]) -> list[dict[str, Any]]:
    return [
        {"symbol": symbol, "missing_sessions": [s.isoformat() for s, _ in sessions]}
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
    ((count,),) = query(
        database_url,
        "select count(*) - count(distinct ticker) from ("
        " select ticker from raw_polygon.grouped_daily where t >= %(start)s and t < %(end)s"
        " union all"
        " select ticker from raw_polygon.aggs_daily where t >= %(start)s and t < %(end)s) as bars",
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


def _anomalies(database_url: str, session: date) -> list[dict[str, Any]]:
    rows = query(
        database_url,
        "select symbol, date, kind, measured_value from quality.daily_bar_flags"
        " where date = %s order by symbol, kind",
        (session,),
    )
    return [
        {"symbol": symbol, "date": day.isoformat(), "kind": kind, "value": float(value)}
        for symbol, day, kind, value in rows
    ]


def run_quality(
    database_url: str,
    session: date,
    target: str,
    endpoint: PolygonEndpoint | None = None,
    say: Callable[[str], None] = print,
) -> QualityReport:
    """Check one session; backfill gaps when an endpoint is given; write the report.

    Args:
        database_url: the warehouse.
        session: the trading session the run is for.
        target: dbt target.
        endpoint: where to re-fetch missing bars; None only reports gaps.
        say: progress output.
    """
    from expectations.ohlcv_daily import validate_all

    _build_quality_models(database_url, session, target)
    found = read_gaps(database_url)
    backfill: dict[str, Any] = {"missing_bars": sum(len(s) for s in found.values())}
    remaining = found
    fetchable = without_confirmed_absent(database_url, found)
    backfill["confirmed_absent"] = backfill["missing_bars"] - sum(
        len(s) for s in fetchable.values()
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
            _build_quality_models(database_url, session, target, "bars_and_quality")
            remaining = read_gaps(database_url)
        backfill |= {
            "plan": plan.as_dict(),
            "rows_landed": result.rows,
            "failures": [f"{f.subject}: {f.reason}" for f in result.failures],
            "newly_confirmed_absent": record_confirmed_absent(database_url, result, remaining),
        }
    closed = backfill["missing_bars"] - sum(len(s) for s in remaining.values())
    backfill["resolved_bars"] = closed

    suites = validate_all(database_url, session)
    expectations = {
        name: {"passed": outcome.passed, "failed": len(outcome.failed), "failures": outcome.failed}
        for name, outcome in suites.outcomes.items()
    }
    anomalies = _anomalies(database_url, session)
    duplicates = _duplicates_resolved(database_url, session)
    pct, expected, present = _completeness(database_url, session)

    unresolved_gaps = sum(len(s) for s in remaining.values())
    failed_expectations = sum(suite["failed"] for suite in expectations.values())
    resolved = closed + duplicates
    flagged = unresolved_gaps + len(anomalies) + failed_expectations
    found_issues = backfill["missing_bars"] + duplicates + len(anomalies) + failed_expectations
    issues = {
        "found": found_issues,
        "auto_resolved": resolved,
        "flagged": flagged,
        "duplicates_resolved": duplicates,
        "resolved_or_flagged_pct": (
            round(100.0 * (resolved + flagged) / found_issues, 2) if found_issues else 100.0
        ),
    }
    report = QualityReport(
        session_date=session,
        completeness_pct=pct,
        symbols_expected=expected,
        symbols_present=present,
        gaps=_grouped(remaining),
        anomalies=anomalies,
        expectations=expectations,
        skipped_suites=suites.skipped,
        issues=issues,
        backfill=backfill,
        data_docs_index=suites.data_docs_index,
        rejected_records=rejected_count(database_url, session=session),
    )
    report.paths = write_report(report, REPORTS_DIR / session.isoformat())
    return report


def write_report(report: QualityReport, folder: Path) -> dict[str, str]:
    """Write the report as JSON, Markdown and HTML; return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    data = report.as_dict()
    paths = {
        "quality_json": folder / "quality_report.json",
        "quality_markdown": folder / "quality_report.md",
        "quality_html": folder / "quality_report.html",
    }
    paths["quality_json"].write_bytes(orjson.dumps(data, option=orjson.OPT_INDENT_2))
    paths["quality_markdown"].write_text(_markdown(data))
    paths["quality_html"].write_text(_html(data))
    return {name: str(path) for name, path in paths.items()}


def _sections(data: dict[str, Any]) -> list[tuple[str, list[str], list[list[str]]]]:
    """The report's tables: title, header, rows (shared by Markdown and HTML)."""
    issues = data["issues"]
    return [
        (
            "Summary",
            ["measure", "value"],
            [
                ["session", data["session_date"]],
                ["completeness", f"{data['completeness_pct']}%"],
                [
                    "symbols expected / present",
                    f"{data['symbols_expected']} / {data['symbols_present']}",
                ],
                ["quality passed", str(data["quality_passed"])],
                ["issues found", str(issues["found"])],
                ["auto-resolved", str(issues["auto_resolved"])],
                ["flagged", str(issues["flagged"])],
                ["resolved or flagged", f"{issues['resolved_or_flagged_pct']}%"],
                ["malformed records set aside", str(data["rejected_records"])],
            ],
        ),
        (
            "Expectation suites",
            ["suite", "passed", "failed", "failures"],
            [
                [name, str(s["passed"]), str(s["failed"]), "; ".join(s["failures"])]
                for name, s in data["expectations"].items()
            ]
            + [[name, "-", "-", f"skipped: {why}"] for name, why in data["skipped_suites"].items()],
        ),
        (
            "Unresolved gaps",
            ["symbol", "missing sessions"],
            [[g["symbol"], ", ".join(g["missing_sessions"])] for g in data["gaps"]],
        ),
        (
            "Anomalies (flagged, data kept)",
            ["symbol", "date", "kind", "value"],
            [[a["symbol"], a["date"], a["kind"], f"{a['value']:g}"] for a in data["anomalies"]],
        ),
    ]


def _markdown(data: dict[str, Any]) -> str:
    lines = [f"# Data quality — {data['session_date']}", ""]
    for title, header, rows in _sections(data):
        lines += [f"## {title}", ""]
        if not rows:
            lines += ["None.", ""]
            continue
        lines.append("| " + " | ".join(header) + " |")
        lines.append("|" + "---|" * len(header))
        for row in rows:
            lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |")
        lines.append("")
    lines.append(f"GX Data Docs: {data['data_docs']}")
    return "\n".join(lines) + "\n"


def _html(data: dict[str, Any]) -> str:
    e = html.escape
    body = [f"<h1>Data quality — {e(data['session_date'])}</h1>"]
    for title, header, rows in _sections(data):
        body.append(f"<h2>{e(title)}</h2>")
        if not rows:
            body.append("<p>None.</p>")
            continue
        head = "".join(f"<th>{e(cell)}</th>" for cell in header)
        cells = "".join(
            "<tr>" + "".join(f"<td>{e(cell)}</td>" for cell in row) + "</tr>" for row in rows
        )
        body.append(f"<table><thead><tr>{head}</tr></thead><tbody>{cells}</tbody></table>")
    docs = Path(data["data_docs"]).as_uri()
    body.append(f'<p><a href="{e(docs)}">GX Data Docs</a></p>')
    style = (
        "body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin-bottom:1em}"
        "td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}"
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>Data quality {e(data['session_date'])}</title><style>{style}</style></head>"
        f"<body>{''.join(body)}</body></html>\n"
    )
