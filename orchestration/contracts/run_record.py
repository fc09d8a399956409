"""The run record: `.tickstock/reports/eod/<date>/run_<id>.json`, the notice plus its steps."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, TypeAdapter

from orchestration.contracts.base import Contract
from orchestration.contracts.notice import EodNotice
from orchestration.contracts.steps import (
    ExtractDetail,
    LifecycleDetail,
    PublishDetail,
    QualityDetail,
    ReferenceDetail,
    StepStatus,
    TransformDetail,
)


class RecordedStep(Contract):
    """A step as the ledger holds it when the record is written."""

    name: str
    status: StepStatus
    duration_s: float


class ReferenceStep(RecordedStep):
    name: Literal["reference"]
    detail: ReferenceDetail


class LifecycleStep(RecordedStep):
    name: Literal["lifecycle"]
    detail: LifecycleDetail


class ExtractStep(RecordedStep):
    name: Literal["extract"]
    detail: ExtractDetail


class TransformStep(RecordedStep):
    name: Literal["transform"]
    detail: TransformDetail


class QualityStep(RecordedStep):
    name: Literal["quality"]
    detail: QualityDetail


class PublishStep(RecordedStep):
    name: Literal["publish"]
    detail: PublishDetail


Step = Annotated[
    ReferenceStep | LifecycleStep | ExtractStep | TransformStep | QualityStep | PublishStep,
    Field(discriminator="name"),
]
STEP: TypeAdapter[Step] = TypeAdapter(Step)


class RunRecord(EodNotice):
    """The completion notice and every step of the run (publish still running).

    Its lists are whole; `truncated` says the notice sent on Redis was cut,
    and `notice_truncated` which lists it lost and how long they are here.
    """

    steps: list[Step]
    notice_truncated: dict[str, int] = Field(
        default={},
        description="lists cut from the notice sent (dotted path: full length here)",
    )
