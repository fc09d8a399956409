"""Bars handed to dlt as finished CSV load files, written once by Arrow's CSV writer.

Handed Arrow tables, dlt writes them to Parquet when it extracts and rewrites
them as CSV when it normalizes, for the COPY that loads them. Writing that CSV
file here, with the `_dlt_load_id` column dlt would add, and importing it
(`dlt.mark.with_file_import`) leaves dlt only the COPY.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import dlt
import pyarrow as pa
import pyarrow.csv as pa_csv

# The CSV dlt's own Arrow writer produces: a header, strings quoted when needed.
_CSV = pa_csv.WriteOptions(quoting_style="needed")


def csv_load_file(tables: list[pa.Table], directory: Path, data_source: str | None = None) -> Any:
    """`tables` as one CSV load file in `directory`, marked for dlt to import.

    Call it inside a resource while dlt extracts: the rows get the load id of
    the package being extracted, and dlt links the file into that package
    before the resource's generator resumes. Every row records `data_source`
    (NULL when None).
    """
    bars = pa.concat_tables(tables)
    load_id = dlt.current.load_package_state()["load_id"]
    sources = (
        pa.repeat(data_source, bars.num_rows)
        if data_source
        else pa.nulls(bars.num_rows, pa.string())
    )
    bars = bars.append_column(pa.field("data_source", pa.string(), True), sources)
    bars = bars.append_column(
        pa.field("_dlt_load_id", pa.string(), False), pa.repeat(load_id, bars.num_rows)
    )
    path = directory / f"{uuid.uuid4().hex}.csv"
    pa_csv.write_csv(bars, path, _CSV)
    return dlt.mark.with_file_import(str(path), "csv", items_count=bars.num_rows)
