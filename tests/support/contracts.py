"""The committed JSON Schemas as validators, and a complete notice to send in tests."""

from __future__ import annotations

import json
from datetime import date
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator

from orchestration.contracts.notice import (
    Compliance,
    CorporateActions,
    Dividend,
    EodNotice,
    LifecycleEvents,
    NoticeReports,
    Split,
)
from orchestration.contracts.quality import Anomaly, Gap
from orchestration.contracts.schemas import SCHEMA_DIR


@cache
def validator(name: str) -> Draft202012Validator:
    """A validator of `docs/schemas/<name>.schema.json`, as a consumer would load it."""
    schema = json.loads((SCHEMA_DIR / f"{name}.schema.json").read_text())
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def schema_errors(name: str, instance: Any) -> list[str]:
    """Why `instance` does not match the schema (empty when it does)."""
    return [
        f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in validator(name).iter_errors(instance)
    ]


def sample_notice(run_id: str, session: date, **changes: Any) -> EodNotice:
    """A complete notice for `session`, with any field replaced."""
    notice = EodNotice(
        run_id=run_id,
        session_date=session,
        status="complete",
        symbols_expected=2,
        symbols_updated=2,
        completion_pct=100.0,
        missing_symbols=[],
        gaps=[Gap(symbol="MSFT", missing_sessions=[date(2026, 11, 18)])],
        anomalies=[Anomaly(symbol="AAPL", date=session, kind="volume_spike", value=12.5)],
        quality_passed=True,
        rejected_records=1,
        duration_s=12.5,
        data_source="sandbox",
        lifecycle=LifecycleEvents.model_validate(
            {"listed": ["NEWCO"], "delisted": [], "renamed": [{"from": "FB", "to": "META"}]}
        ),
        corporate_actions=CorporateActions(
            splits=[Split(symbol="NVDA", split_from=1, split_to=10)],
            dividends=[Dividend(symbol="SPY", cash_amount=1.76)],
        ),
        compliance=Compliance(
            eod_symbols=2,
            eod_symbols_processed=2,
            eod_processed_pct=100.0,
            not_eod_types={"WARRANT": 1},
            etf_funds=1,
            etf_details_refreshed=1,
        ),
        reports=NoticeReports(
            data_docs="/tmp/data_docs/index.html",
            quality_json="/tmp/quality_report.json",
            quality_markdown="/tmp/quality_report.md",
            quality_html="/tmp/quality_report.html",
            run_record=f"/tmp/run_{run_id}.json",
        ),
    )
    return notice.model_copy(update=changes)
