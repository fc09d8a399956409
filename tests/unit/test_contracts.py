"""The message and file contracts: schemas in step with the models, files that match them."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from pydantic import ValidationError

from orchestration.contracts import schemas
from orchestration.contracts.notice import EodNotice
from orchestration.contracts.quality import (
    Backfill,
    Issues,
    QualityReport,
    SuiteOutcome,
)
from orchestration.contracts.steps import STEP_ENTRY
from orchestration.jobs.eod import write_run_record
from orchestration.jobs.ledger import StepRecord
from orchestration.jobs.quality import write_report
from tests.support.contracts import sample_notice, schema_errors

SESSION = date(2026, 11, 20)
RUN_ID = "0b0f6a52-8c3e-4a53-9d4e-3c8f0a6f4e11"


@pytest.mark.parametrize("name", sorted(schemas.SCHEMAS))
def test_committed_schema_is_what_the_model_generates(name: str) -> None:
    committed = schemas.SCHEMA_DIR / f"{name}.schema.json"
    assert committed.read_text() == schemas.render(name), (
        f"{committed} is stale: run `python -m orchestration.contracts.schemas`"
    )


def test_the_notice_keeps_its_wire_names() -> None:
    data = json.loads(sample_notice(RUN_ID, SESSION).model_dump_json())
    assert schema_errors("eod_notice", data) == []
    assert data["session_date"] == "2026-11-20"
    assert data["lifecycle"]["renamed"] == [{"from": "FB", "to": "META"}]
    assert EodNotice.model_validate(data) == sample_notice(RUN_ID, SESSION)


def test_a_notice_missing_a_field_or_with_a_wrong_type_is_rejected() -> None:
    good = sample_notice(RUN_ID, SESSION).model_dump(mode="json")
    missing = {key: value for key, value in good.items() if key != "completion_pct"}
    wrong_type = {**good, "symbols_updated": "fifteen"}
    bad_status = {**good, "status": "done"}

    assert schema_errors("eod_notice", missing) == [": 'completion_pct' is a required property"]
    assert schema_errors("eod_notice", wrong_type) == [
        "symbols_updated: 'fifteen' is not of type 'integer'"
    ]
    assert len(schema_errors("eod_notice", bad_status)) == 1
    for bad in (missing, wrong_type, bad_status):
        with pytest.raises(ValidationError):
            EodNotice.model_validate(bad)


def test_step_entries_are_told_apart_by_step() -> None:
    entry = STEP_ENTRY.validate_python(
        {
            "run_id": RUN_ID,
            "session_date": SESSION,
            "step": "publish",
            "status": "succeeded",
            "duration_s": 0.4,
            "delivered": 1,
            "pending": 0,
        }
    )
    data = json.loads(entry.model_dump_json())
    assert data["kind"] == "step" and data["delivered"] == 1
    assert schema_errors("eod_step_entry", data) == []

    no_rows = {**data, "step": "extract"}  # an extract entry says what it landed
    assert schema_errors("eod_step_entry", no_rows)
    with pytest.raises(ValidationError):
        STEP_ENTRY.validate_python(no_rows)
    unknown_step = {**data, "step": "deploy"}
    assert schema_errors("eod_step_entry", unknown_step)


def test_the_run_record_file_matches_its_schema(tmp_path: Path) -> None:
    notice = sample_notice(RUN_ID, SESSION)
    quality = StepRecord("quality", "succeeded", 7.8)
    quality.detail = {
        "passed": True,
        "evaluated": 19,
        "failed": [],
        "data_docs": notice.reports.data_docs,
        "gaps": [],
        "anomalies": [],
        "issues": Issues(
            found=0, auto_resolved=0, flagged=0, duplicates_resolved=0, resolved_or_flagged_pct=100
        ).model_dump(),
        "reports": {
            "quality_json": notice.reports.quality_json,
            "quality_markdown": notice.reports.quality_markdown,
            "quality_html": notice.reports.quality_html,
        },
    }
    steps = [
        StepRecord("extract", "succeeded", 6.1, {"rows_landed": {"grouped_daily": 15}}),
        quality,
        StepRecord("publish"),  # the record is written while publish runs
    ]
    path = write_run_record(notice, steps, tmp_path / "eod" / f"run_{RUN_ID}.json")

    data = json.loads(path.read_text())
    assert schema_errors("eod_run_record", data) == []
    assert [step["name"] for step in data["steps"]] == ["extract", "quality", "publish"]
    assert data["steps"][2] == {
        "status": "running",
        "duration_s": 0.0,
        "name": "publish",
        "detail": {"delivered": None, "pending": None},
    }


def _quality_report() -> QualityReport:
    return QualityReport(
        session_date=SESSION,
        completeness_pct=99.5,
        symbols_expected=200,
        symbols_present=199,
        quality_passed=False,
        gaps=[{"symbol": "MS|FT", "missing_sessions": [SESSION]}],
        anomalies=[],
        expectations={
            "ohlcv_daily__suite": SuiteOutcome(passed=12, failed=0, failures=[]),
            "daily_bar_gaps__suite": SuiteOutcome(passed=0, failed=1, failures=["no gaps"]),
        },
        skipped_suites={"ohlcv_1min__suite": "table missing"},
        issues=Issues(
            found=1, auto_resolved=0, flagged=1, duplicates_resolved=0, resolved_or_flagged_pct=100
        ),
        rejected_records=2,
        backfill=Backfill(missing_bars=1, confirmed_absent=0, resolved_bars=0),
        data_docs="/tmp/data_docs/index.html",
    )


def test_the_quality_report_files(tmp_path: Path) -> None:
    paths = write_report(_quality_report(), tmp_path)

    data = json.loads(Path(paths.quality_json).read_text())
    assert schema_errors("quality_report", data) == []
    assert data["gaps"] == [{"symbol": "MS|FT", "missing_sessions": ["2026-11-20"]}]
    markdown = Path(paths.quality_markdown).read_text()
    assert markdown.startswith("# Data quality — 2026-11-20\n")
    assert "| MS\\|FT | 2026-11-20 |" in markdown
    assert "## Anomalies (flagged, data kept)\n\nNone.\n" in markdown
    assert "| ohlcv_1min__suite | - | - | skipped: table missing |" in markdown
    assert markdown.endswith("GX Data Docs: /tmp/data_docs/index.html\n")
    html = Path(paths.quality_html).read_text()
    assert "<h2>Expectation suites</h2>" in html and "<td>daily_bar_gaps__suite</td>" in html
    assert '<a href="file:///tmp/data_docs/index.html">GX Data Docs</a>' in html


def test_a_quality_report_with_a_wrong_type_is_rejected() -> None:
    data = _quality_report().model_dump(mode="json")
    data["issues"]["flagged"] = "one"
    errors = schema_errors("quality_report", data)
    assert errors == ["issues/flagged: 'one' is not of type 'integer'"]
    with pytest.raises(ValidationError):
        QualityReport.model_validate(data)
