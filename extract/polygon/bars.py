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


def _exact_column(values: list[Any]) -> pa.Array:
    return pc.cast(pc.cast(pa.array(values, pa.float64()), pa.string()), EXACT)


def bars_table(
    results: Sequence[dict[str, Any]], ticker: str | None = None, **constants: Any
) -> pa.Table:
    """One page of bars; `ticker` for per-ticker ranges, else each bar's `T`.

    `constants` become columns with one value for every row (e.g. the
    requested session of a grouped-daily page).
    """
    tickers = [ticker] * len(results) if ticker else [bar.get("T") for bar in results]
    # Keys and constants are declared non-null, as the resource's column hints say.
    fields = [pa.field("ticker", pa.string(), False), pa.field("t", pa.int64(), False)]
    arrays = [
        pa.array(tickers, pa.string()),
        pa.array([bar.get("t") for bar in results], pa.int64()),
    ]
    for name in _EXACT_FIELDS:
        fields.append(pa.field(name, EXACT))
        arrays.append(_exact_column([bar.get(name) for bar in results]))
    fields += [pa.field("n", pa.int64()), pa.field("otc", pa.bool_())]
    arrays += [
        pa.array([bar.get("n") for bar in results], pa.int64()),
        pa.array([bar.get("otc") for bar in results], pa.bool_()),
    ]
    for name, value in constants.items():
        column = pa.array([value] * len(results), pa.scalar(value).type)
        fields.append(pa.field(name, column.type, False))
        arrays.append(column)
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields))
