"""Run the GX suites for one session and build the Data Docs site.

`validate_session` runs the `marts.ohlcv_daily` suite alone (checkpoint
`eod__checkpoint`); `validate_all` runs every suite whose table exists.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from expectations.context import (
    SuiteOutcome,
    data_docs_index,
    gx_context,
    publish_data_docs,
    run_checkpoint,
)
from expectations.docs_assets import make_offline
from expectations.suites import OHLCV_DAILY, SUITES
from kernel.warehouse import query


@dataclass(frozen=True)
class QualityResult:
    """Outcome of validating one session of `marts.ohlcv_daily`."""

    success: bool
    evaluated: int
    failed: list[str] = field(default_factory=list)
    rows: int = 0
    data_docs_index: Path | None = None


@dataclass(frozen=True)
class SuiteRun:
    """Every suite's outcome for one session, and the suites that could not run."""

    outcomes: dict[str, SuiteOutcome]
    skipped: dict[str, str]
    data_docs_index: Path

    @property
    def success(self) -> bool:
        return all(outcome.success for outcome in self.outcomes.values())


def _offline_docs_index(context) -> Path:
    """The Data Docs index, after pointing its pages at local copies of their assets."""
    index = data_docs_index(context)
    make_offline(index.parent)
    return index


def validate_session(session_date: date) -> QualityResult:
    """Validate the session's rows of `marts.ohlcv_daily` and refresh Data Docs."""
    context = gx_context()
    outcome = run_checkpoint(context, OHLCV_DAILY, session_date)
    if outcome is None:  # the suite requires rows, so GX always validates a batch
        raise RuntimeError(f"no ohlcv_daily batch to validate for {session_date}")
    publish_data_docs(context, [outcome])
    return QualityResult(
        success=outcome.success,
        evaluated=outcome.passed + len(outcome.failed),
        failed=outcome.failed,
        rows=outcome.rows or 0,
        data_docs_index=_offline_docs_index(context),
    )


def _missing(database_url: str, schema: str, table: str, columns: tuple[str, ...]) -> str | None:
    """Why a suite's table cannot be validated, or None when it can."""
    present = {
        name
        for (name,) in query(
            database_url,
            "select column_name from information_schema.columns"
            " where table_schema = %s and table_name = %s",
            (schema, table),
        )
    }
    if not present:
        return f"{schema}.{table} does not exist"
    absent = [column for column in columns if column not in present]
    return f"{schema}.{table} has no column {', '.join(absent)}" if absent else None


def validate_all(database_url: str, session_date: date) -> SuiteRun:
    """Run every suite whose table exists (with the columns it reads)."""
    context = gx_context()
    outcomes, skipped = {}, {}
    for spec in SUITES:
        reason = _missing(database_url, spec.schema, spec.table, spec.columns)
        if reason:
            skipped[spec.suite] = reason
            continue
        outcome = run_checkpoint(context, spec, session_date)
        if outcome is None:
            skipped[spec.suite] = f"no rows in {spec.relation} for {session_date}"
        else:
            outcomes[spec.suite] = outcome
    publish_data_docs(context, list(outcomes.values()))
    return SuiteRun(outcomes, skipped, _offline_docs_index(context))


def build_data_docs() -> Path:
    """Rebuild the Data Docs site from stored results; return its index."""
    context = gx_context()
    context.build_data_docs()
    return _offline_docs_index(context)
