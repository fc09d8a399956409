"""The daily quality report: `.tickstock/reports/quality/<date>/quality_report.json`."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from orchestration.contracts.base import Contract


class Gap(Contract):
    """A tracked symbol's sessions still without a daily bar."""

    symbol: str
    missing_sessions: list[dt.date]


class Anomaly(Contract):
    """A bar flagged by a quality rule (the bar is kept)."""

    symbol: str
    date: dt.date
    kind: str = Field(description="price_jump, volume_spike, stale_price or fmv_deviation")
    value: float = Field(description="the measured value the rule compared")


class SuiteOutcome(Contract):
    """One GX expectation suite's result."""

    passed: int
    failed: int
    failures: list[str]


class Issues(Contract):
    """Problems found in the run, and how many were fixed or flagged."""

    found: int
    auto_resolved: int
    flagged: int
    duplicates_resolved: int
    resolved_or_flagged_pct: float


class BackfillRange(Contract):
    """Consecutive missing sessions of some symbols, fetched per ticker."""

    symbols: list[str]
    from_: dt.date = Field(alias="from")
    to: dt.date


class BackfillPlanSummary(Contract):
    """What the auto-backfill asked the API for."""

    grouped_sessions: list[dt.date]
    ranges: list[BackfillRange]


class Backfill(Contract):
    """The auto-backfill of missing bars; the plan and its results only when it ran."""

    missing_bars: int
    confirmed_absent: int
    resolved_bars: int
    plan: BackfillPlanSummary | None = None
    rows_landed: dict[str, int] | None = None
    failures: list[str] | None = None
    newly_confirmed_absent: int | None = None


class QualityReport(Contract):
    """Everything the quality run found for one session (or, in a history audit,
    for every session from `since` up to it)."""

    session_date: dt.date
    since: dt.date | None = Field(
        default=None,
        description="first session of a history audit (`quality --since`/`--all-history`);"
        " null for the daily run, which looks at the last quarter",
    )
    completeness_pct: float
    symbols_expected: int
    symbols_present: int
    quality_passed: bool
    gaps: list[Gap]
    anomalies: list[Anomaly]
    expectations: dict[str, SuiteOutcome] = Field(description="per GX suite")
    skipped_suites: dict[str, str] = Field(description="suite name: why it did not run")
    issues: Issues
    rejected_records: int = Field(
        description="distinct malformed records of the session in ops.rejected_records"
    )
    backfill: Backfill
    data_docs: str = Field(description="path of the GX Data Docs index")


class QualityReportPaths(Contract):
    """Where the quality report was written."""

    quality_json: str
    quality_markdown: str
    quality_html: str
