"""Build and run dlt pipelines that land into the warehouse's raw schemas."""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dlt
import psycopg2
from dlt.destinations.impl.postgres.configuration import PostgresCredentials
from dlt.pipeline.exceptions import PipelineStepFailed

from kernel.settings import STATE_DIR, redact_url
from kernel.warehouse import bounded_url, connect

# Failures a later run may get past (the server was away); anything else a
# package meets (a value its column refuses, a schema dlt cannot apply) fails
# the same way on every replay.
_PASSING = (psycopg2.OperationalError, psycopg2.InterfaceError, OSError)


class LoadAborted(RuntimeError):
    """A load package failed terminally and was dropped: none of it landed, nothing replays it."""


def warehouse_identity(database_url: str) -> str:
    """A name for the database behind `database_url` that a new database never shares.

    The URL (password hidden), the database's oid and the cluster's system
    identifier (when the role may read it): drop the database and create it
    again under the same URL, or restore a dump into a new one, and its
    identity is new, so no dlt state of the old one is ever read for it.
    """
    parts = [redact_url(database_url)]
    # One connection; autocommit, so a refused second statement leaves the first's answer.
    with connect(database_url, autocommit=True) as connection, connection.cursor() as cursor:
        cursor.execute(_DATABASE_OID)
        parts += [str(value) for (value,) in cursor.fetchall()]
        # Not granted to every role: the oid is enough on one cluster.
        with contextlib.suppress(psycopg2.Error):
            cursor.execute(_CLUSTER_ID)
            parts += [str(value) for (value,) in cursor.fetchall()]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


_DATABASE_OID = "select oid from pg_database where datname = current_database()"
_CLUSTER_ID = "select system_identifier from pg_control_system()"
# Per database URL: the working folder of the run in progress in this process.
_run_dirs: dict[str, Path] = {}
# Per warehouse identity: the folder of pipelines made outside a run.
_process_dirs: dict[Path, Path] = {}


@contextlib.contextmanager
def run_directory(database_url: str) -> Iterator[Path]:
    """A dlt working folder for one run, removed when the run ends.

    `.tickstock/dlt/<warehouse identity>/run-<pid>-<random>/`: packages one
    command leaves (it was killed) are never loaded by another; dlt takes its
    state and schemas from the destination at the first `run` of each
    pipeline (`restore_from_destination`, on by default). Enter it only under
    the writer lock (`orchestration.jobs.writer`): folders of earlier runs of
    the warehouse are then stale, and removed.
    """
    base = STATE_DIR / "dlt" / warehouse_identity(database_url)
    base.mkdir(parents=True, exist_ok=True)
    for stale in base.glob("run-*"):
        shutil.rmtree(stale, ignore_errors=True)
    # The one folder per URL that versions before per-run folders kept.
    legacy = hashlib.sha256(redact_url(database_url).encode()).hexdigest()[:12]
    shutil.rmtree(STATE_DIR / "dlt" / legacy, ignore_errors=True)
    folder = Path(tempfile.mkdtemp(prefix=f"run-{os.getpid()}-", dir=base))
    _run_dirs[database_url] = folder
    try:
        yield folder
    finally:
        _run_dirs.pop(database_url, None)
        _remove(folder)


def _remove(folder: Path) -> None:
    """Remove a working folder, and its warehouse's folder once nothing else is in it."""
    shutil.rmtree(folder, ignore_errors=True)
    with contextlib.suppress(OSError):
        folder.parent.rmdir()


def pipelines_dir(database_url: str) -> Path:
    """The dlt working folder for `database_url`: the run's, or one for this process.

    Outside a run (`run_directory`), e.g. a test building a pipeline itself,
    the process gets a folder of its own under the warehouse's, removed when
    it exits.
    """
    if database_url in _run_dirs:
        return _run_dirs[database_url]
    base = STATE_DIR / "dlt" / warehouse_identity(database_url)
    if base not in _process_dirs:
        base.mkdir(parents=True, exist_ok=True)
        folder = Path(tempfile.mkdtemp(prefix=f"process-{os.getpid()}-", dir=base))
        atexit.register(_remove, folder)
        _process_dirs[base] = folder
    return _process_dirs[base]


def make_pipeline(name: str, dataset: str, database_url: str) -> dlt.Pipeline:
    """A pipeline whose local working state belongs to this run and this database.

    See `run_directory`: two commands, or two databases (say a test one and
    the dev one, or a database and the one that replaced it under the same
    URL), never share or confuse one pipeline state.
    """
    # Load files live for seconds on local disk: gzip would cost most of normalize.
    os.environ.setdefault("NORMALIZE__DATA_WRITER__DISABLE_COMPRESSION", "true")
    return dlt.pipeline(
        pipeline_name=name,
        pipelines_dir=str(pipelines_dir(database_url)),
        destination=dlt.destinations.postgres(credentials=destination_credentials(database_url)),
        dataset_name=dataset,
    )


def destination_credentials(database_url: str) -> PostgresCredentials:
    """dlt's credentials for the warehouse, its waits bounded (`bounded_url`).

    dlt requires a password; a server with trust or peer authentication
    takes a URL without one, which is given an empty password here.
    """
    credentials = PostgresCredentials()
    credentials.parse_native_representation(bounded_url(database_url))
    if credentials.password is None:
        credentials.password = ""
    return credentials


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
    trace = pipeline.last_trace
    normalized = trace.last_normalize_info if trace is not None else None
    counts = dict(normalized.row_counts) if normalized is not None else {}
    # dlt's normalize counts the rows of the files it writes, not of load files
    # handed to it whole (the bars): those were counted when they were imported.
    for table, rows in _extracted_rows(pipeline).items():
        if not counts.get(table):
            counts[table] = rows
    return {table: rows for table, rows in counts.items() if not table.startswith("_dlt")}


def _extracted_rows(pipeline: dlt.Pipeline) -> dict[str, int]:
    counts: dict[str, int] = {}
    trace = pipeline.last_trace
    extracted = trace.last_extract_info if trace is not None else None
    if extracted is None:
        return counts
    for steps in extracted.metrics.values():
        for step in steps:
            for table, metrics in step["table_metrics"].items():
                counts[table] = counts.get(table, 0) + metrics.items_count
    return counts
