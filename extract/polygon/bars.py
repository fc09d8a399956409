"""Bars as Arrow tables: dlt loads them with COPY instead of row-by-row inserts.

A page of bars is parsed by Arrow's JSON reader straight from the response
text into typed columns: prices and volumes become decimals from the JSON's
own digits, so every value lands exactly, and the parsing runs in C++ outside
the GIL, beside the other fetch threads.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import pyarrow as pa
import pyarrow.json as pa_json

# Scale 18 keeps every digit a bar's price or volume can have.
EXACT = pa.decimal128(38, 18)
_BAR_FIELDS = (
    [pa.field("T", pa.string()), pa.field("t", pa.int64())]
    + [pa.field(name, EXACT) for name in ("o", "h", "l", "c", "v", "vw")]
    + [pa.field("n", pa.int64()), pa.field("otc", pa.bool_())]
)
_BARS = pa.schema(_BAR_FIELDS)
_PAGE = pa.schema(
    [pa.field("results", pa.list_(pa.struct(_BAR_FIELDS))), pa.field("next_url", pa.string())]
)
# Fields we do not land (status, request_id, counts) are skipped by the reader.
_PARSE = pa_json.ParseOptions(
    explicit_schema=_PAGE, unexpected_field_behavior="ignore", newlines_in_values=True
)


def parse_bar_page(body: bytes) -> dict[str, Any]:
    """One response body as `{"results": [bars], "next_url": ...}`, bars one Arrow table.

    Raises ValueError (Arrow's ArrowInvalid) on malformed JSON or a value
    that is not a number of the bar's type.
    """
    # One block for the whole body: the response is one JSON object.
    read = pa_json.ReadOptions(use_threads=False, block_size=max(len(body), 1) + 1)
    page = pa_json.read_json(io.BytesIO(body), read_options=read, parse_options=_PARSE)
    if page.num_rows != 1:
        raise ValueError(f"expected one JSON object, found {page.num_rows}")
    results = page["results"].combine_chunks()
    bars = pa.Table.from_struct_array(results.flatten())  # a missing `results` is no bars
    if bars["t"].null_count:
        raise ValueError("a bar without its timestamp `t`")
    return {"results": [bars], "next_url": page["next_url"][0].as_py()}


def bars_table(pages: Sequence[pa.Table], ticker: str | None = None, **constants: Any) -> pa.Table:
    """The bars of all `pages` of one request; `ticker` for per-ticker ranges, else `T`.

    `constants` become columns with one value for every row (e.g. the
    requested session of a grouped-daily page).
    """
    parsed = pa.concat_tables(pages) if pages else _BARS.empty_table()
    rows = parsed.num_rows
    tickers = pa.array([ticker] * rows, pa.string()) if ticker else parsed["T"]
    # Keys and constants are declared non-null, as the resource's column hints say.
    fields = [pa.field("ticker", pa.string(), False)]
    arrays = [tickers]
    for field in _BARS:
        if field.name != "T":
            fields.append(pa.field(field.name, field.type, field.name != "t"))
            arrays.append(parsed[field.name])
    for name, value in constants.items():
        column = pa.array([value] * rows, pa.scalar(value).type)
        fields.append(pa.field(name, column.type, False))
        arrays.append(column)
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields))
