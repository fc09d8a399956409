"""Run a planned backfill in batches, skipping units that landed before.

Each batch is one dlt load. Its units are marked in `ops.load_units` once the
load has committed, so a backfill killed at any moment and started again
fetches only what had not landed, and dlt's merge keeps the rows unique.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import pyarrow as pa

from extract.pipelines import make_pipeline, run_and_count
from extract.polygon import FetchFailure, polygon_source
from extract.polygon.endpoint import PolygonEndpoint
from extract.polygon.work import BarRange, GroupedSession
from orchestration.load_plan import LoadPlan
from orchestration.unit_ledger import UnitLedger

Unit = BarRange | GroupedSession


@dataclass
class BulkLoad:
    """What a backfill landed, skipped and could not fetch."""

    rows: dict[str, int] = field(default_factory=dict)
    failures: list[FetchFailure] = field(default_factory=list)
    units_landed: int = 0
    units_skipped: int = 0


def _batches(units: Sequence[Unit], rows_per_unit: float, batch_rows: int) -> Iterator[list[Unit]]:
    size = max(1, int(batch_rows // max(rows_per_unit, 1.0)))
    for start in range(0, len(units), size):
        yield list(units[start : start + size])


def _resource(plan: LoadPlan) -> str:
    if plan.strategy == "grouped":
        return "grouped_daily"
    return "aggs_daily" if plan.timespan == "day" else "aggs_minute"


def _ledger_key(unit: Unit, scope: str) -> str:
    """The unit's ledger key; `scope` keeps units of different data sources apart."""
    return f"{scope}:{unit.key}" if scope else unit.key


def pending_units(database_url: str, plan: LoadPlan, scope: str = "") -> list[Unit]:
    """The plan's units that have not landed yet (from the data source `scope` names)."""
    keys = {_ledger_key(unit, scope): unit for unit in plan.units}
    landed = UnitLedger(database_url).landed(keys)
    return [unit for key, unit in keys.items() if key not in landed]


def run_load(
    database_url: str,
    endpoint: PolygonEndpoint,
    plan: LoadPlan,
    concurrency: int,
    batch_rows: int,
    on_landed: Callable[[Unit, pa.Table], None] | None = None,
    todo: Sequence[Unit] | None = None,
    scope: str = "",
) -> BulkLoad:
    """Land the pending units of `plan` (or `todo`) into `raw_polygon`, batch by batch.

    `scope` names the data source when it is not the usual one (a sandbox
    scenario), so its units are not taken for the usual source's.
    """
    ledger = UnitLedger(database_url)
    todo = pending_units(database_url, plan, scope) if todo is None else todo
    result = BulkLoad(units_skipped=len(plan.units) - len(todo))
    pipeline = make_pipeline("polygon", "raw_polygon", database_url)
    rows_per_unit = plan.expected_rows / max(len(plan.units), 1)
    for batch in _batches(todo, rows_per_unit, batch_rows):
        rows_by_key: dict[str, int] = {}

        def landed(unit: Unit, table: pa.Table, rows_by_key: dict[str, int] = rows_by_key) -> None:
            rows_by_key[_ledger_key(unit, scope)] = table.num_rows
            if on_landed is not None:
                on_landed(unit, table)

        source = polygon_source(
            endpoint.base_url,
            endpoint.api_key,
            sessions=[unit.session for unit in batch if isinstance(unit, GroupedSession)],
            ranges=[unit for unit in batch if isinstance(unit, BarRange)],
            policy=endpoint.policy,
            failures=result.failures,
            on_landed=landed,
            concurrency=concurrency,
        ).with_resources(_resource(plan))
        for table, rows in run_and_count(pipeline, source).items():
            result.rows[table] = result.rows.get(table, 0) + rows
        ledger.mark(rows_by_key)
        result.units_landed += len(rows_by_key)
    return result
