"""Build and run dlt pipelines that land into the warehouse's raw schemas."""

from __future__ import annotations

import hashlib
from typing import Any

import dlt

from orchestration.settings import STATE_DIR, redact_url


def make_pipeline(name: str, dataset: str, database_url: str) -> dlt.Pipeline:
    """A pipeline whose local state is kept per warehouse, under `.tickstock/dlt/`.

    Keying the working folder by warehouse keeps two databases (say a test one
    and the dev one) from sharing, and confusing, one pipeline state.
    """
    warehouse = hashlib.sha256(redact_url(database_url).encode()).hexdigest()[:12]
    return dlt.pipeline(
        pipeline_name=name,
        pipelines_dir=str(STATE_DIR / "dlt" / warehouse),
        destination=dlt.destinations.postgres(credentials=database_url),
        dataset_name=dataset,
    )


def run_and_count(pipeline: dlt.Pipeline, data: Any) -> dict[str, int]:
    """Run `data` through `pipeline`; return the landed rows per table."""
    pipeline.run(data)
    counts = pipeline.last_trace.last_normalize_info.row_counts
    return {table: rows for table, rows in counts.items() if not table.startswith("_dlt")}
