"""Build and run dlt pipelines that land into the warehouse's raw schemas."""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path
from typing import Any

import dlt
import psycopg2
from dlt.pipeline.exceptions import PipelineStepFailed

from kernel.settings import STATE_DIR, redact_url
from kernel.warehouse import bounded_url

# Failures a later run may get past (the server was away); anything else a
# package meets (a value its column refuses, a schema dlt cannot apply) fails
# the same way on every replay.
_PASSING = (psycopg2.OperationalError, psycopg2.InterfaceError, OSError)


class LoadAborted(RuntimeError):
    """A load package failed terminally and was dropped: none of it landed, nothing replays it."""


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
        destination=dlt.destinations.postgres(credentials=bounded_url(database_url)),
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


def _passing(error: BaseException) -> bool:
    """Whether `error` (or what caused it) is a failure a later run may not meet again."""
    current: BaseException | None = error
    while current is not None:
        if isinstance(current, _PASSING):
            return True
        current = current.__cause__ or current.__context__
    return False


def _abort_pending(pipeline: dlt.Pipeline, failed: PipelineStepFailed) -> LoadAborted:
    """Drop the pipeline's pending packages; the error that reports it."""
    load_id = failed.load_id or "?"
    pipeline.abort_packages()
    cause: BaseException = failed
    while (inner := cause.__cause__ or cause.__context__) is not None:
        cause = inner
    first_line = next(iter(str(cause).splitlines()), "")
    return LoadAborted(
        f"load package {load_id} of pipeline {pipeline.pipeline_name!r} failed terminally at"
        f" {failed.step} and was aborted (nothing of it landed; a later run fetches it again):"
        f" {type(cause).__name__}: {first_line}"
    )


def run_and_count(
    pipeline: dlt.Pipeline, data: Any, aborted: list[str] | None = None
) -> dict[str, int]:
    """Run `data` through `pipeline`; return the landed rows per table.

    An error raised by our own code inside a resource comes out unwrapped, so
    the user reads its message rather than dlt's pipeline trace. A package
    that fails to normalize or load for any reason but a lost connection
    (dlt has retried its jobs by then) is dropped, never replayed: a package
    left by an earlier run is logged and reported in `aborted`, and the run
    goes on; this run's own raises `LoadAborted`.
    """
    if pipeline.has_pending_data:
        # A killed run left packages behind. dlt's run() would load them and
        # silently skip `data`, so they are finished first, on their own.
        try:
            pipeline.run()
        except PipelineStepFailed as failed:
            if failed.step == "extract" or _passing(failed):
                raise _root_cause(failed) from failed
            error = _abort_pending(pipeline, failed)
            logging.getLogger(__name__).warning("%s", error)
            if aborted is not None:
                aborted.append(str(error))
    try:
        info = pipeline.run(data)
    except PipelineStepFailed as failed:
        if failed.step in ("normalize", "load") and not _passing(failed):
            raise _abort_pending(pipeline, failed) from failed
        raise _root_cause(failed) from failed
    if info is not None and info.has_failed_jobs:
        # Only when failed jobs are configured not to raise: the package is
        # complete (never replayed), and what failed is reported.
        raise LoadAborted(f"load of pipeline {pipeline.pipeline_name!r} had failed jobs: {info}")
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
