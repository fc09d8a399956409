"""Run a planned backfill in batches, skipping units that landed before.

Each batch is one dlt load. Its units are marked in `ops.load_units` once the
load has committed, so a backfill killed at any moment and started again
fetches only what had not landed, and dlt's merge keeps the rows unique.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from threading import Event

import dlt
import pyarrow as pa
from psycopg2 import sql

from extract.pipelines import make_pipeline, run_and_count
from extract.polygon import FetchFailure, RejectedRecord, polygon_source
from extract.polygon.bar_fetcher import BarFetcher, Fetched
from extract.polygon.client import polygon_client
from extract.polygon.endpoint import PolygonEndpoint
from extract.polygon.work import BarRange, GroupedSession
from kernel.warehouse import connect
from orchestration.jobs.load_plan import LoadPlan
from orchestration.jobs.rejections import new_run_id, record_rejected
from orchestration.jobs.unit_ledger import UnitLedger

Unit = BarRange | GroupedSession


@dataclass
class BulkLoad:
    """What a backfill landed, skipped and could not fetch, and the malformed bars it set aside."""

    rows: dict[str, int] = field(default_factory=dict)
    failures: list[FetchFailure] = field(default_factory=list)
    rejected: list[RejectedRecord] = field(default_factory=list)
    run_id: str = field(default_factory=new_run_id)
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

    While dlt lands one batch, the next is fetched: dlt's normalize and load
    and the API's responses keep different cores busy. `scope` names the data
    source when it is not the usual one (a sandbox scenario), so its units are
    not taken for the usual source's. Malformed bars are left out and kept
    in `ops.rejected_records` under `result.run_id`.
    """
    ledger = UnitLedger(database_url)
    todo = pending_units(database_url, plan, scope) if todo is None else todo
    result = BulkLoad(units_skipped=len(plan.units) - len(todo))
    pipeline = make_pipeline("polygon", "raw_polygon", database_url)
    client = polygon_client(endpoint.base_url, endpoint.api_key, endpoint.policy)
    fetcher = BarFetcher(client, result.failures, result.rejected)
    rows_per_unit = plan.expected_rows / max(len(plan.units), 1)
    batches = iter(_batches(todo, rows_per_unit, batch_rows))
    # Set when landing fails or is interrupted: the batch being fetched ahead
    # starts no more requests, so the run ends without fetching it whole.
    stop = Event()

    def fetch_next() -> list[Fetched] | None:
        batch = next(batches, None)
        return None if batch is None else list(fetcher.fetch_all(batch, concurrency, stop))

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="prefetch") as ahead:
        try:
            upcoming = ahead.submit(fetch_next)
            while (fetched := upcoming.result()) is not None:
                upcoming = ahead.submit(fetch_next)
                rows_by_key = _land(pipeline, endpoint, plan, fetched, result, on_landed, scope)
                ledger.mark(rows_by_key)
                result.units_landed += len(rows_by_key)
        finally:
            stop.set()
            record_rejected(database_url, result.run_id, result.rejected)
    _analyze(database_url, result.rows)
    return result


def _analyze(database_url: str, landed_rows: dict[str, int]) -> None:
    """Fresh planner statistics for the raw tables a backfill grew.

    Autovacuum would analyze them only a minute later, and the models that
    read the new rows run at once: with the old statistics Postgres plans for
    a few hundred rows and rescans the table once per load.
    """
    with connect(database_url) as connection, connection.cursor() as cursor:
        for table, rows in landed_rows.items():
            if rows:
                cursor.execute(sql.SQL("analyze {}").format(sql.Identifier("raw_polygon", table)))


def _land(
    pipeline: dlt.Pipeline,
    endpoint: PolygonEndpoint,
    plan: LoadPlan,
    fetched: list[Fetched],
    result: BulkLoad,
    on_landed: Callable[[Unit, pa.Table], None] | None,
    scope: str,
) -> dict[str, int]:
    """Land one fetched batch in one dlt load; its rows by ledger key."""
    rows_by_key: dict[str, int] = {}

    def landed(unit: Unit, table: pa.Table) -> None:
        rows_by_key[_ledger_key(unit, scope)] = table.num_rows
        if on_landed is not None:
            on_landed(unit, table)

    source = polygon_source(
        endpoint.base_url,
        endpoint.api_key,
        prefetched=fetched,
        failures=result.failures,
        on_landed=landed,
        data_source=endpoint.data_source,
    ).with_resources(_resource(plan))
    for table, rows in run_and_count(pipeline, source).items():
        result.rows[table] = result.rows.get(table, 0) + rows
    return rows_by_key
