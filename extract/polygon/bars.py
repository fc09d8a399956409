"""Bars as Arrow tables: dlt loads them with COPY instead of row-by-row inserts.

A page of bars is parsed by Arrow's JSON reader straight from the response
text into typed columns: prices and volumes become decimals from the JSON's
own digits, so every value lands exactly, and the parsing runs in C++ outside
the GIL, beside the other fetch threads.

A page that fails that parse or a cheap check of its columns (a missing key,
a number too long for its column) is read again record by record: malformed
records are set aside with their reason, the others land.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from decimal import Context, Decimal
from typing import Any, NamedTuple

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pa_json

from extract.polygon.rejects import (
    Invalid,
    bool_field,
    decimal_field,
    integer_field,
    loads_keeping_numbers,
    raw_json,
    text_field,
)

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


# A run of 20 digits: a number that may not fit its column (Arrow's decimal
# reader wraps an integer part over 20 digits around instead of failing).
_LONG_NUMBER = re.compile(rb"\d{20}")
# Epoch milliseconds of a bar: from 1970 to before the year 2286.
T_LIMIT = 10**13
_SCALE = Decimal(1).scaleb(-18)
_WIDE = Context(prec=60)  # 20 digits before the point and 18 after fit
_DECIMALS = ("o", "h", "l", "c", "v", "vw")


class RejectedBar(NamedTuple):
    """A record of a page that cannot be landed: its JSON text, the reason, its `t` if valid."""

    raw: str
    reason: str
    t: int | None


def parse_bar_page(body: bytes, require_ticker: bool = False) -> dict[str, Any]:
    """One response body as `{"results": [bars], "next_url": ..., "rejected": [...]}`.

    Bars are one Arrow table; `rejected` lists the records set aside
    (`RejectedBar`). `require_ticker`: every bar must name its ticker `T`
    (grouped daily pages; a range's bars are all of the requested ticker).

    Raises ValueError when the body is not a JSON object of bars at all.
    """
    try:
        page = _read_page(body)
    except pa.ArrowInvalid:
        page = None
    if page is not None:
        bars = pa.Table.from_struct_array(page["results"].combine_chunks().flatten())
        if _clean(bars, require_ticker) and not _LONG_NUMBER.search(body):
            return {"results": [bars], "next_url": page["next_url"][0].as_py(), "rejected": []}
    return _parse_record_by_record(body, require_ticker)


def _read_page(body: bytes) -> pa.Table:
    # One block for the whole body: the response is one JSON object.
    read = pa_json.ReadOptions(use_threads=False, block_size=max(len(body), 1) + 1)
    page = pa_json.read_json(io.BytesIO(body), read_options=read, parse_options=_PARSE)
    if page.num_rows != 1:
        raise ValueError(f"expected one JSON object, found {page.num_rows}")
    return page


def _clean(bars: pa.Table, require_ticker: bool) -> bool:
    """Whether every bar has its keys and a plausible `t` (vectorised, no row loop)."""
    if bars["t"].null_count or (require_ticker and bars["T"].null_count):
        return False
    if require_ticker and bars.num_rows and pc.any(pc.equal(bars["T"], "")).as_py():
        return False
    if not bars.num_rows:
        return True
    bounds = pc.min_max(bars["t"])
    return bool(bounds["min"].as_py() >= 0 and bounds["max"].as_py() < T_LIMIT)


def _parse_record_by_record(body: bytes, require_ticker: bool) -> dict[str, Any]:
    page = loads_keeping_numbers(body)
    if not isinstance(page, dict):
        raise ValueError("expected one JSON object of bars")
    results = page.get("results") or []
    if not isinstance(results, list):
        raise ValueError("`results` is not a list of bars")
    good: list[dict[str, Any]] = []
    rejected: list[RejectedBar] = []
    for record in results:
        try:
            good.append(_bar(record, require_ticker))
        except Invalid as invalid:
            t = record.get("t") if isinstance(record, dict) else None
            valid_t = _valid_t(t)
            rejected.append(RejectedBar(raw_json(record), str(invalid), valid_t))
    next_url = page.get("next_url")
    return {
        "results": [pa.Table.from_pylist(good, schema=_BARS)],
        "next_url": next_url if isinstance(next_url, str) else None,
        "rejected": rejected,
    }


def _valid_t(value: Any) -> int | None:
    try:
        return integer_field({"t": value}, "t", 0, T_LIMIT)
    except Invalid:
        return None


def _bar(record: Any, require_ticker: bool) -> dict[str, Any]:
    """One bar with typed values, or Invalid naming what is wrong with it."""
    if not isinstance(record, dict):
        raise Invalid("a bar that is not a JSON object")
    bar: dict[str, Any] = {"T": text_field(record, "T", required=require_ticker)}
    if record.get("t") is None:
        raise Invalid("missing `t`")
    bar["t"] = integer_field(record, "t", 0, T_LIMIT)
    for name in _DECIMALS:
        number = decimal_field(record, name)
        # Arrow refuses more than 18 decimals where Postgres would round: round here.
        bar[name] = None if number is None else number.quantize(_SCALE, context=_WIDE)
    bar["n"] = integer_field(record, "n")
    bar["otc"] = bool_field(record, "otc")
    return bar


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
