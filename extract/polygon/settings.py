"""Polygon endpoints and the column hints that keep landed values typed and exact."""

from __future__ import annotations

import copy
from typing import Any, cast

from dlt.common.schema.typing import TTableSchemaColumns

TICKERS_PATH = "/v3/reference/tickers"
GROUPED_DAILY_PATH = "/v2/aggs/grouped/locale/us/market/stocks/{date}"
AGGS_RANGE_PATH = "/v2/aggs/ticker/{ticker}/range/{multiplier}/{timespan}/{start}/{end}"

TICKERS_PAGE_LIMIT = 1000
AGGS_PAGE_LIMIT = 50_000


# Every raw row of the Polygon sources records its data source in this column
# (`PolygonEndpoint.data_source`: the sandbox by seed and size, or the API's
# base URL; never a key). Rows landed before it existed hold NULL.
DATA_SOURCE_COLUMN = "data_source"


def with_data_source(data_source: str | None, *resources: Any) -> None:
    """Every row `resources` yield gets `data_source` in DATA_SOURCE_COLUMN (None: no column)."""
    if data_source:
        for resource in resources:
            resource.add_map(lambda row: {**row, DATA_SOURCE_COLUMN: data_source})


def column_hints(columns: dict[str, dict[str, Any]]) -> TTableSchemaColumns:
    """A fresh copy of `columns` as dlt's column hints (dlt fills hint dicts in place)."""
    return cast("TTableSchemaColumns", copy.deepcopy(columns))


def bar_columns(**extra: dict[str, Any]) -> TTableSchemaColumns:
    """Column hints for bars, fresh on each call (dlt fills hint dicts in place).

    Polygon's one-letter names are kept, except `T`, which would collide with
    `t` under dlt's snake_case naming and is landed as `ticker`.
    """
    # Scale 18 (not dlt's default 9) keeps every digit of the JSON numbers.
    exact = {
        name: {"data_type": "decimal", "precision": 38, "scale": 18, "nullable": True}
        for name in ("o", "h", "l", "c", "v", "vw")
    }
    return column_hints(
        {
            "ticker": {"data_type": "text", "nullable": False},
            "t": {"data_type": "bigint", "nullable": False},
            **exact,
            "n": {"data_type": "bigint", "nullable": True},
            "otc": {"data_type": "bool", "nullable": True},
            **extra,
            # Written into the load files by `load_files`: where the bars came from,
            # and the load id dlt adds to other rows.
            DATA_SOURCE_COLUMN: {"data_type": "text", "nullable": True},
            "_dlt_load_id": {"data_type": "text", "nullable": False},
        }
    )


TICKER_COLUMNS: dict[str, dict[str, Any]] = {
    "ticker": {"data_type": "text", "nullable": False},
    "name": {"data_type": "text", "nullable": True},
    "market": {"data_type": "text", "nullable": True},
    "locale": {"data_type": "text", "nullable": True},
    "primary_exchange": {"data_type": "text", "nullable": True},
    "type": {"data_type": "text", "nullable": True},
    "active": {"data_type": "bool", "nullable": True},
    "currency_name": {"data_type": "text", "nullable": True},
    "cik": {"data_type": "text", "nullable": True},
    "composite_figi": {"data_type": "text", "nullable": True},
    "share_class_figi": {"data_type": "text", "nullable": True},
    "last_updated_utc": {"data_type": "timestamp", "nullable": True},
    "delisted_utc": {"data_type": "timestamp", "nullable": True},
}
