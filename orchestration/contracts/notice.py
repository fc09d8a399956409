"""The completion notice: one per EOD run on channel `tickstock.eod.complete`.

The same JSON is the `data` of the run's `complete` entry on stream
`tickstock:eod:runs`. Delivery is at-least-once; `run_id` is the idempotency key.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field

from orchestration.contracts.base import Contract
from orchestration.contracts.quality import Anomaly, Gap

EOD_COMPLETE_CHANNEL = "tickstock.eod.complete"
EOD_RUNS_STREAM = "tickstock:eod:runs"


class Rename(Contract):
    """A ticker change: the old ticker and the one it trades under now."""

    from_: str = Field(alias="from")
    to: str


class LifecycleEvents(Contract):
    """Symbols listed, delisted and renamed on the session."""

    listed: list[str]
    delisted: list[str]
    renamed: list[Rename]


class Split(Contract):
    """A split executed on the session: `split_to` new shares for `split_from` old."""

    symbol: str
    split_from: float
    split_to: float


class Dividend(Contract):
    """Cash dividends going ex on the session (summed per symbol)."""

    symbol: str
    cash_amount: float


class CorporateActions(Contract):
    """The session's actions of symbols with bars: their adjustment factors changed."""

    splits: list[Split]
    dividends: list[Dividend]


class Compliance(Contract):
    """How many symbols of EOD-tracked types were processed, and what was not tracked."""

    eod_symbols: int
    eod_symbols_processed: int
    eod_processed_pct: float
    not_eod_types: dict[str, int] = Field(description="active symbols of other types, per type")
    etf_funds: int = Field(description="active funds whose details are refreshed")
    etf_details_refreshed: int = Field(description="funds whose details this run refreshed")
    details_refreshed: int = Field(
        default=0,
        description="tracked symbols whose ticker details this run fetched: the session's"
        " new listings and the rolling slice (each symbol at least every 20 sessions)",
    )


class NoticeReports(Contract):
    """Paths of the files the run wrote (on the machine that ran it)."""

    data_docs: str
    quality_json: str
    quality_markdown: str
    quality_html: str
    run_record: str


class EodNotice(Contract):
    """What one EOD run did for its session."""

    run_id: str = Field(description="the idempotency key: a redelivered notice repeats it")
    session_date: date
    status: Literal["complete", "incomplete"]
    symbols_expected: int
    symbols_updated: int
    completion_pct: float
    missing_symbols: list[str]
    gaps: list[Gap]
    anomalies: list[Anomaly]
    quality_passed: bool
    rejected_records: int = Field(
        description="malformed source records this run set aside in ops.rejected_records"
    )
    duration_s: float
    data_source: Literal["sandbox", "polygon"]
    lifecycle: LifecycleEvents
    corporate_actions: CorporateActions
    compliance: Compliance
    reports: NoticeReports
    truncated: bool = Field(
        default=False,
        description="long lists (missing_symbols, gaps, ...) were cut to keep the notice"
        " within the size bound (TICKSTOCK_NOTICE_MAX_BYTES, 64 KiB); the run record"
        " (reports.run_record) has them whole",
    )
