"""GX Core suite and checkpoint for one session of `marts.ohlcv_daily`.

Suites, validation definitions and checkpoints are built here, in code; the
JSON GX writes under `expectations/gx/` is their output.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from orchestration.settings import GX_PROJECT_DIR

DATASOURCE = "warehouse"
ASSET = "ohlcv_daily"
BATCH_DEFINITION = "by_session"
SUITE = "ohlcv_daily__suite"
VALIDATION = "ohlcv_daily__session"
CHECKPOINT = "eod__checkpoint"
PRICE_COLUMNS = ("open", "high", "low", "close")


@dataclass(frozen=True)
class QualityResult:
    """Outcome of validating one session."""

    success: bool
    evaluated: int
    failed: list[str] = field(default_factory=list)
    rows: int = 0
    data_docs_index: Path | None = None


def _expectations() -> list:
    import great_expectations as gx

    expect = gx.expectations
    not_null = [
        expect.ExpectColumnValuesToNotBeNull(column=column)
        for column in ("symbol", "date", *PRICE_COLUMNS, "volume")
    ]
    return [
        expect.ExpectTableRowCountToBeBetween(min_value=1),
        *not_null,
        # high >= greatest(open, close) and low <= least(open, close)
        expect.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="high", column_B="open", or_equal=True
        ),
        expect.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="high", column_B="close", or_equal=True
        ),
        expect.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="open", column_B="low", or_equal=True
        ),
        expect.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="close", column_B="low", or_equal=True
        ),
        expect.ExpectColumnValuesToBeBetween(column="low", min_value=0, strict_min=True),
        expect.ExpectColumnValuesToBeBetween(column="volume", min_value=0),
        expect.ExpectCompoundColumnsToBeUnique(column_list=["symbol", "date"]),
    ]


def _context():
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    context = gx.get_context(mode="file", project_root_dir=str(GX_PROJECT_DIR))
    # tqdm bars per metric batch only clutter the EOD log.
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    return context


def _signature(expectations: list) -> list[str]:
    """Expectations compared by meaning, ignoring the ids GX assigns."""
    return sorted(
        json.dumps([e.expectation_type, e.configuration.kwargs], sort_keys=True, default=str)
        for e in expectations
    )


def _stored(factory, name: str):
    """The named object from a GX store, or None when it does not exist yet."""
    from great_expectations.exceptions import DataContextError

    try:
        return factory.get(name)
    except DataContextError:
        return None


def build_checkpoint(context):
    """Get the checkpoint, creating or updating only what is missing or changed.

    Leaving unchanged objects alone keeps the committed JSON under `gx/` stable:
    re-adding them would give everything new ids on every run.
    """
    import great_expectations as gx
    from great_expectations.checkpoint import UpdateDataDocsAction

    if DATASOURCE in context.data_sources.all():
        datasource = context.data_sources.get(DATASOURCE)
    else:
        # The connection string is a reference: the password never reaches GX files.
        datasource = context.data_sources.add_postgres(
            name=DATASOURCE, connection_string="${TICKSTOCK_WAREHOUSE_URL}"
        )
    if ASSET in datasource.get_asset_names():
        asset = datasource.get_asset(ASSET)
    else:
        asset = datasource.add_table_asset(
            name=ASSET, table_name="ohlcv_daily", schema_name="marts"
        )
    existing = {definition.name: definition for definition in asset.batch_definitions}
    batch_definition = existing.get(BATCH_DEFINITION) or asset.add_batch_definition_daily(
        name=BATCH_DEFINITION, column="date"
    )

    wanted = gx.ExpectationSuite(name=SUITE, expectations=_expectations())
    suite = _stored(context.suites, SUITE)
    if suite is None or _signature(suite.expectations) != _signature(wanted.expectations):
        context.suites.add_or_update(wanted)
    if _stored(context.validation_definitions, VALIDATION) is None:
        context.validation_definitions.add(
            gx.ValidationDefinition(
                name=VALIDATION, data=batch_definition, suite=context.suites.get(SUITE)
            )
        )
    if _stored(context.checkpoints, CHECKPOINT) is None:
        context.checkpoints.add(
            gx.Checkpoint(
                name=CHECKPOINT,
                validation_definitions=[context.validation_definitions.get(VALIDATION)],
                actions=[UpdateDataDocsAction(name="update_data_docs")],
                result_format="SUMMARY",
            )
        )
    return context.checkpoints.get(CHECKPOINT)


def data_docs_index(context) -> Path:
    """Path of the local Data Docs `index.html`."""
    url = context.get_docs_sites_urls()[0]["site_url"]
    return Path(url.removeprefix("file://"))


def _describe(config) -> str:
    """`expectation_type(columns)`, e.g. `expect_column_pair_…(high,open)`."""
    kwargs = config.kwargs
    columns = kwargs.get("column_list") or [
        kwargs[key] for key in ("column", "column_A", "column_B") if key in kwargs
    ]
    return f"{config.type}({','.join(columns)})"


def validate_session(session_date: date) -> QualityResult:
    """Validate the session's rows of `marts.ohlcv_daily` and refresh Data Docs."""
    context = _context()
    checkpoint = build_checkpoint(context)
    result = checkpoint.run(
        batch_parameters={
            "year": session_date.year,
            "month": session_date.month,
            "day": session_date.day,
        }
    )
    evaluated, failed, rows = 0, [], 0
    for validation in result.run_results.values():
        for outcome in validation.results:
            evaluated += 1
            config = outcome.expectation_config
            if config.type == "expect_table_row_count_to_be_between":
                rows = outcome.result.get("observed_value", 0)
            if not outcome.success:
                failed.append(_describe(config))
    return QualityResult(
        success=result.success,
        evaluated=evaluated,
        failed=failed,
        rows=rows,
        data_docs_index=data_docs_index(context),
    )


def build_data_docs() -> Path:
    """Rebuild the Data Docs site from stored results; return its index."""
    context = _context()
    context.build_data_docs()
    return data_docs_index(context)
