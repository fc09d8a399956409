"""The EOD steps: what each reports, as stream entries and in the run record.

Each step's `detail` (kept in `ops.eod_steps`) has a model here. A step's
entry on stream `tickstock:eod:runs` is its detail flattened beside the
entry's own fields (`kind`, `run_id`, `session_date`, `step`, `status`,
`duration_s`). Details accept fields beyond the ones declared, so a step can
report more without breaking readers.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, TypeAdapter

from orchestration.contracts.base import Contract
from orchestration.contracts.notice import LifecycleEvents
from orchestration.contracts.quality import Anomaly, Gap, Issues, QualityReportPaths

StepStatus = Literal["running", "succeeded", "failed"]


class StepDetail(Contract):
    """What a step reports about itself."""

    model_config = ConfigDict(extra="allow")


class Fetching(StepDetail):
    """A step that fetches from the API and lands what it got."""

    rows_landed: dict[str, int] = Field(description="rows landed per raw table")
    failures: list[str] = Field(default=[], description="'subject: reason' per failed fetch")


class ReferenceDetail(Fetching):
    """Calendar, ticker list, the session's corporate actions, ticker events."""


class LifecycleDetail(Fetching):
    events: LifecycleEvents
    history_backfilled: dict[str, int] = Field(description="days of history per new symbol")
    details_refreshed: dict[str, list[str]] = Field(
        default={},
        description="symbols whose ticker details were fetched, per reason:"
        " `listed` (new on the session) and `rotation` (the slice with the oldest details)",
    )
    etf_details_refreshed: int = Field(default=0, description="funds among them")


class ExtractDetail(Fetching):
    bootstrapped: bool = Field(default=False, description="an empty warehouse got its history")


class TransformDetail(StepDetail):
    dbt: dict[str, int] = Field(description="dbt node results per status")
    sessions: list[date] = Field(
        default=[],
        description="the sessions whose bars this build took in: the run's own, or every"
        " session of a catch-up, whose runs share the one build",
    )
    relationships: dict[str, Any] = Field(description="what the relationship cache published")


class QualityDetail(StepDetail):
    passed: bool
    evaluated: int = Field(description="expectations evaluated")
    failed: list[str] = Field(description="the failed expectations")
    data_docs: str
    gaps: list[Gap]
    anomalies: list[Anomaly]
    issues: Issues
    reports: QualityReportPaths


class PublishDetail(StepDetail):
    # None in the run record, which is written before the notice is delivered.
    delivered: int | None = Field(default=None, description="notices delivered to Redis")
    pending: int | None = Field(default=None, description="notices still in the outbox")


class StepEntryBase(Contract):
    """The fields every step entry of the runs stream carries."""

    kind: Literal["step"] = "step"
    run_id: str
    session_date: date
    step: str
    status: StepStatus
    duration_s: float
    truncated: bool = Field(
        default=False,
        description="long lists were cut to keep the entry within the size bound"
        " (TICKSTOCK_NOTICE_MAX_BYTES); ops.eod_steps keeps the step's detail whole",
    )


class ReferenceEntry(ReferenceDetail, StepEntryBase):
    step: Literal["reference"]


class LifecycleEntry(LifecycleDetail, StepEntryBase):
    step: Literal["lifecycle"]


class ExtractEntry(ExtractDetail, StepEntryBase):
    step: Literal["extract"]


class TransformEntry(TransformDetail, StepEntryBase):
    step: Literal["transform"]


class QualityEntry(QualityDetail, StepEntryBase):
    step: Literal["quality"]


class PublishEntry(PublishDetail, StepEntryBase):
    step: Literal["publish"]


StepEntry = Annotated[
    ReferenceEntry | LifecycleEntry | ExtractEntry | TransformEntry | QualityEntry | PublishEntry,
    Field(discriminator="step"),
]
"""The `data` of a `step` entry on the runs stream, told apart by `step`."""

STEP_ENTRY: TypeAdapter[StepEntry] = TypeAdapter(StepEntry)
