"""Bars as Arrow tables: dlt loads them with COPY instead of row-by-row inserts.

Prices and volumes arrive as JSON numbers. They are turned into decimals via
their shortest round-trip text (Arrow's float-to-string cast), which is the
JSON's own spelling, so every value lands exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

# Scale 18 keeps every digit a float's shortest text can have at bar magnitudes.
EXACT = pa.decimal128(38, 18)
_EXACT_FIELDS = ("o", "h", "l", "c", "v", "vw")
# The JSON as it arrives; Arrow converts the parsed records column by column in C++.
_JSON_SCHEMA = pa.schema(
    [pa.field("T", pa.string()), pa.field("t", pa.int64(), False)]
    + [pa.field(name, pa.float64()) for name in _EXACT_FIELDS]
    + [pa.field("n", pa.int64()), pa.field("otc", pa.bool_())]
)


def bars_table(
    results: Sequence[dict[str, Any]], ticker: str | None = None, **constants: Any
) -> pa.Table:
    """One page of bars; `ticker` for per-ticker ranges, else each bar's `T`.

    `constants` become columns with one value for every row (e.g. the
    requested session of a grouped-daily page).
    """
    parsed = pa.Table.from_pylist(list(results), schema=_JSON_SCHEMA)
    rows = parsed.num_rows
    tickers = pa.array([ticker] * rows, pa.string()) if ticker else parsed["T"]
    # Keys and constants are declared non-null, as the resource's column hints say.
    fields = [pa.field("ticker", pa.string(), False), pa.field("t", pa.int64(), False)]
    arrays = [tickers, parsed["t"]]
    for name in _EXACT_FIELDS:
        fields.append(pa.field(name, EXACT))
        arrays.append(pc.cast(pc.cast(parsed[name], pa.string()), EXACT))
    fields += [pa.field("n", pa.int64()), pa.field("otc", pa.bool_())]
    arrays += [parsed["n"], parsed["otc"]]
    for name, value in constants.items():
        column = pa.array([value] * rows, pa.scalar(value).type)
        fields.append(pa.field(name, column.type, False))
        arrays.append(column)
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields))
