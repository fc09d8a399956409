"""Build and run dlt pipelines that land into the warehouse's raw schemas."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import dlt
from dlt.pipeline.exceptions import PipelineStepFailed

from kernel.settings import STATE_DIR, redact_url


def pipelines_dir(database_url: str) -> Path:
    """The folder of one warehouse's local dlt state (working files, pending packages)."""
    warehouse = hashlib.sha256(redact_url(database_url).encode()).hexdigest()[:12]
    return STATE_DIR / "dlt" / warehouse


def make_pipeline(name: str, dataset: str, database_url: str) -> dlt.Pipeline:
    """A pipeline whose local state is kept per warehouse, under `.tickstock/dlt/`.

    Keying the working folder by warehouse keeps two databases (say a test one
    and the dev one) from sharing, and confusing, one pipeline state.
    """
    # Load files live for seconds on local disk: gzip would cost most of normalize.
    os.environ.setdefault("NORMALIZE__DATA_WRITER__DISABLE_COMPRESSION", "true")
    return dlt.pipeline(
        pipeline_name=name,
        pipelines_dir=str(pipelines_dir(database_url)),
        destination=dlt.destinations.postgres(credentials=database_url),
        dataset_name=dataset,
    )


def _root_cause(error: BaseException) -> BaseException:
    """The first exception in the chain raised outside dlt (dlt wraps them twice)."""
    current: BaseException | None = error
    while current is not None:
        if not type(current).__module__.startswith("dlt."):
            return current
        current = current.__cause__ or current.__context__
    return error


def run_and_count(pipeline: dlt.Pipeline, data: Any) -> dict[str, int]:
    """Run `data` through `pipeline`; return the landed rows per table.

    An error raised by our own code inside a resource comes out unwrapped, so
    the user reads its message rather than dlt's pipeline trace.
    """
    try:
        if pipeline.has_pending_data:
            # A killed run left packages behind. dlt's run() would load them and
            # silently skip `data`, so they are finished first, on their own.
            pipeline.run()
        pipeline.run(data)
    except PipelineStepFailed as failed:
        raise _root_cause(failed) from failed
    counts = dict(pipeline.last_trace.last_normalize_info.row_counts)
    # dlt's normalize counts the rows of the files it writes, not of load files
    # handed to it whole (the bars): those were counted when they were imported.
    for table, rows in _extracted_rows(pipeline).items():
        if not counts.get(table):
            counts[table] = rows
    return {table: rows for table, rows in counts.items() if not table.startswith("_dlt")}


def _extracted_rows(pipeline: dlt.Pipeline) -> dict[str, int]:
    counts: dict[str, int] = {}
    for steps in pipeline.last_trace.last_extract_info.metrics.values():
        for step in steps:
            for table, metrics in step["table_metrics"].items():
                counts[table] = counts.get(table, 0) + metrics.items_count
    return counts
