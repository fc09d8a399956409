"""The GX file context and code-first objects built from `SuiteSpec`s.

Suites, assets, validation definitions and checkpoints are declared in code
(`expectations/suites.py`); the JSON GX writes under `expectations/gx/` is
their output. Objects are created only when missing or changed, so the
committed JSON stays the same from run to run.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from kernel.settings import GX_PROJECT_DIR

DATASOURCE = "warehouse"
SESSION_BATCH = "by_session"
TABLE_BATCH = "whole_table"


@dataclass(frozen=True)
class SuiteSpec:
    """One suite, the table it validates and how a run picks the rows.

    Attributes:
        suite: suite name, `<table>__suite`.
        schema: warehouse schema of the table.
        table: table the suite validates.
        expectations: builds the suite's expectations (GX imported lazily).
        session_column: date/timestamp column a session's batch is cut on;
            None validates the whole table.
        columns: columns the suite reads; a table without them is skipped.
        rows_required: a session without rows fails (True) or is skipped
            (False: data loaded only on demand, like minute bars).
        checkpoint: checkpoint name (default `<table>__checkpoint`).
        asset: asset name (default the table name).
    """

    suite: str
    schema: str
    table: str
    expectations: Callable[[], list]
    session_column: str | None = None
    columns: tuple[str, ...] = ()
    rows_required: bool = True
    checkpoint: str | None = None
    asset: str | None = None

    @property
    def asset_name(self) -> str:
        return self.asset or self.table

    @property
    def checkpoint_name(self) -> str:
        return self.checkpoint or f"{self.table}__checkpoint"

    @property
    def validation_name(self) -> str:
        return f"{self.table}__{'session' if self.session_column else 'table'}"

    @property
    def relation(self) -> str:
        return f"{self.schema}.{self.table}"


@dataclass(frozen=True)
class SuiteOutcome:
    """What one suite found for one session."""

    suite: str
    success: bool
    passed: int
    failed: list[str] = field(default_factory=list)
    rows: int | None = None
    # The stored result and its suite: the Data Docs pages `publish_data_docs` renders.
    docs_resources: tuple = ()


def gx_context():
    """The project's file context, with progress bars off."""
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


def _datasource(context):
    if DATASOURCE in context.data_sources.all():
        return context.data_sources.get(DATASOURCE)
    # The connection string is a reference: the password never reaches GX files.
    return context.data_sources.add_postgres(
        name=DATASOURCE, connection_string="${TICKSTOCK_WAREHOUSE_URL}"
    )


def _batch_definition(context, spec: SuiteSpec):
    datasource = _datasource(context)
    if spec.asset_name in datasource.get_asset_names():
        asset = datasource.get_asset(spec.asset_name)
    else:
        asset = datasource.add_table_asset(
            name=spec.asset_name, table_name=spec.table, schema_name=spec.schema
        )
    name = SESSION_BATCH if spec.session_column else TABLE_BATCH
    existing = {definition.name: definition for definition in asset.batch_definitions}
    if name in existing:
        return existing[name]
    if spec.session_column:
        # GX checks the column's type on a sample row, so this needs data once;
        # the definition is then committed under gx/ and never re-created.
        return asset.add_batch_definition_daily(name=name, column=spec.session_column)
    return asset.add_batch_definition_whole_table(name=name)


def build_checkpoint(context, spec: SuiteSpec):
    """Get the spec's checkpoint, creating or updating only what is missing or changed.

    Leaving unchanged objects alone keeps the committed JSON under `gx/` stable:
    re-adding them would give everything new ids on every run. Checkpoints
    have no Data Docs action: a run renders the pages of all its results
    once (`publish_data_docs`), not the site's index once per suite.
    """
    import great_expectations as gx

    batch_definition = _batch_definition(context, spec)
    wanted = gx.ExpectationSuite(name=spec.suite, expectations=spec.expectations())
    suite = _stored(context.suites, spec.suite)
    if suite is None or _signature(suite.expectations) != _signature(wanted.expectations):
        context.suites.add_or_update(wanted)
    if _stored(context.validation_definitions, spec.validation_name) is None:
        context.validation_definitions.add(
            gx.ValidationDefinition(
                name=spec.validation_name,
                data=batch_definition,
                suite=context.suites.get(spec.suite),
            )
        )
    stored = _stored(context.checkpoints, spec.checkpoint_name)
    if stored is None or stored.actions:
        checkpoint = gx.Checkpoint(
            name=spec.checkpoint_name,
            validation_definitions=[context.validation_definitions.get(spec.validation_name)],
            actions=[],
            result_format="SUMMARY",
        )
        if stored is None:
            context.checkpoints.add(checkpoint)
        else:  # an older checkpoint that rebuilt the docs itself
            checkpoint.id = stored.id
            context.checkpoints.add_or_update(checkpoint)
    return context.checkpoints.get(spec.checkpoint_name)


def describe(config) -> str:
    """`expectation_type(columns)`, e.g. `expect_column_pair_…(high,open)`.

    Row queries are named by their description, which says what they look for.
    """
    kwargs = config.kwargs
    if config.type == "unexpected_rows_expectation":
        return f"{config.type}({config.description})"
    columns = kwargs.get("column_list") or [
        kwargs[key] for key in ("column", "column_A", "column_B") if key in kwargs
    ]
    return f"{config.type}({','.join(columns)})"


def run_checkpoint(context, spec: SuiteSpec, session: date) -> SuiteOutcome | None:
    """Validate the spec's batch for `session` (or its whole table).

    Returns None when there are no rows and the spec does not require any.
    """
    from great_expectations.exceptions.exceptions import NoAvailableBatchesError

    checkpoint = build_checkpoint(context, spec)
    parameters: dict[str, Any] = (
        {"year": session.year, "month": session.month, "day": session.day}
        if spec.session_column
        else {}
    )
    try:
        result = checkpoint.run(batch_parameters=parameters)
    except NoAvailableBatchesError:
        # GX finds no batch at all in an empty table: nothing was validated.
        if not spec.rows_required:
            return None
        where = f" for {session}" if spec.session_column else ""
        return SuiteOutcome(spec.suite, False, 0, [f"no rows in {spec.relation}{where}"], 0)
    passed, failed, rows = 0, [], None
    resources = tuple(
        resource
        for result_id in result.run_results
        for resource in (result_id, result_id.expectation_suite_identifier)
    )
    for validation in result.run_results.values():
        for outcome in validation.results:
            config = outcome.expectation_config
            if config.type == "expect_table_row_count_to_be_between":
                rows = outcome.result.get("observed_value")
            if outcome.success:
                passed += 1
            else:
                failed.append(describe(config))
    return SuiteOutcome(spec.suite, bool(result.success), passed, failed, rows, resources)


def publish_data_docs(context, outcomes: list[SuiteOutcome]) -> None:
    """Render the pages of these results and their suites, and the site's index, once."""
    resources = [resource for outcome in outcomes for resource in outcome.docs_resources]
    if resources:
        context.build_data_docs(resource_identifiers=resources)


def data_docs_index(context) -> Path:
    """Path of the local Data Docs `index.html`."""
    url = context.get_docs_sites_urls()[0]["site_url"]
    return Path(url.removeprefix("file://"))
