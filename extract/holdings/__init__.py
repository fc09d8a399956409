"""dlt source for ETF holdings and universe lists, landing into `raw_holdings`.

Two tables:

- `holdings`: one row per line of a loaded file, keyed by (`batch_id`,
  `line_number`). A batch is one file's content (its id carries the file's
  checksum), so landing the same file twice changes nothing (dlt merges via
  its staging dataset, in one transaction).
- `holding_loads`: an append-only log of load and rollback events. A batch
  becomes visible to dbt only once an event names it: the event is the
  commit record, written after the landed rows passed their checks.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

import dlt

from extract.holdings.formats import ParsedFile

# Every column is hinted so dlt creates it even when a layout never fills it
# (iShares has no CUSIP, universes no shares): dbt reads a fixed shape.


def _nullable(data_type: str, *names: str) -> dict[str, Any]:
    # A fresh dict per column: dlt writes each column's name into its hint.
    return {name: {"data_type": data_type, "nullable": True} for name in names}


# Every column is hinted so dlt creates it even when a layout never fills it
# (iShares has no CUSIP, universes no shares): dbt reads a fixed shape.
HOLDINGS_COLUMNS: dict[str, Any] = {
    "batch_id": {"data_type": "text", "nullable": False},
    "line_number": {"data_type": "bigint", "nullable": False},
    "group_type": {"data_type": "text", "nullable": False},
    "group_name": {"data_type": "text", "nullable": False},
    "ticker": {"data_type": "text", "nullable": False},
    **_nullable("text", "name", "sector", "asset_class", "identifier", "layout", "source_file"),
    **_nullable("double", "weight_pct", "shares", "market_value", "market_cap"),
    **_nullable("date", "as_of_date"),
}
LOAD_COLUMNS: dict[str, Any] = {
    "event_id": {"data_type": "text", "nullable": False},
    "recorded_at": {"data_type": "timestamp", "nullable": False},
    "action": {"data_type": "text", "nullable": False},
    "group_type": {"data_type": "text", "nullable": False},
    "group_name": {"data_type": "text", "nullable": False},
    **_nullable("text", "mode", "batch_id", "checksum", "source_file", "layout"),
    **_nullable("date", "as_of_date"),
    **_nullable("bigint", "row_count"),
    **_nullable("double", "weight_total"),
}


def batch_id(parsed: ParsedFile) -> str:
    """Content address of a file's rows for one group."""
    return f"{parsed.group_type}:{parsed.group_name}:{parsed.checksum[:16]}"


def holding_records(files: Iterable[ParsedFile]) -> Iterator[dict[str, Any]]:
    """The rows of `files` as `raw_holdings.holdings` records."""
    for parsed in files:
        for row in parsed.rows:
            yield {
                "batch_id": batch_id(parsed),
                "line_number": row.line,
                "group_type": parsed.group_type,
                "group_name": parsed.group_name,
                "ticker": row.ticker,
                "name": row.name,
                "sector": row.sector,
                "asset_class": row.asset_class,
                "weight_pct": row.weight_pct,
                "shares": row.shares,
                "market_value": row.market_value,
                "market_cap": row.market_cap,
                "identifier": row.identifier,
                "as_of_date": parsed.as_of,
                "layout": parsed.layout,
                "source_file": parsed.path.name,
            }


@dlt.source(name="holdings", max_table_nesting=0)
def holdings_source(files: list[ParsedFile]) -> Any:
    """The lines of already validated files."""

    @dlt.resource(
        name="holdings",
        primary_key=("batch_id", "line_number"),
        write_disposition="merge",
        columns=HOLDINGS_COLUMNS,
    )
    def holdings() -> Iterator[dict[str, Any]]:
        yield from holding_records(files)

    return holdings


@dlt.source(name="holding_loads", max_table_nesting=0)
def load_events_source(events: list[dict[str, Any]]) -> Any:
    """Load and rollback events (see `loader.load_event`)."""

    @dlt.resource(
        name="holding_loads",
        primary_key="event_id",
        write_disposition="append",
        columns=LOAD_COLUMNS,
    )
    def holding_loads() -> Iterator[dict[str, Any]]:
        yield from events

    return holding_loads


def load_event(
    parsed: ParsedFile, mode: str, recorded_at: datetime, event_id: str
) -> dict[str, Any]:
    """The `holding_loads` record that makes `parsed` its group's current content."""
    return {
        "event_id": event_id,
        "recorded_at": recorded_at,
        "action": "load",
        "mode": mode,
        "group_type": parsed.group_type,
        "group_name": parsed.group_name,
        "batch_id": batch_id(parsed),
        "checksum": parsed.checksum,
        "source_file": parsed.path.name,
        "layout": parsed.layout,
        "as_of_date": parsed.as_of,
        "row_count": len(parsed.rows),
        "weight_total": sum(row.weight_pct or 0 for row in parsed.rows),
    }
