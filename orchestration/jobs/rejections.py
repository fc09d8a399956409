"""`ops.rejected_records`: malformed source records kept row by row, with the reason.

The table is created by the ops schema's migration 4 (`runtime.ops_schema`).

The extractors set a malformed record aside and land the rest of its page;
this module keeps what they set aside, under the run that fetched it. A run
that fetches the same page twice (a retry, a resumed run) keeps each record
once.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date

import psycopg2.extras

from extract.polygon.rejects import RejectedRecord
from kernel.warehouse import connect, query
from orchestration.runtime.ops_schema import ensure_ops_schema

TABLE = "ops.rejected_records"


def new_run_id() -> str:
    """An id for a command run that has no EOD run of its own (a load, a quality run)."""
    return str(uuid.uuid4())


def record_rejected(database_url: str, run_id: str, records: Sequence[RejectedRecord]) -> int:
    """Keep `records` under `run_id`; returns how many are new (a record seen twice counts once)."""
    if not records:
        return 0
    ensure_ops_schema(database_url)
    rows = [(run_id, r.endpoint, r.request, r.raw, r.reason, r.session) for r in records]
    with connect(database_url) as connection, connection.cursor() as cursor:
        inserted = psycopg2.extras.execute_values(
            cursor,
            "insert into ops.rejected_records"
            " (run_id, endpoint, request, raw_record, reason, session_date) values %s"
            " on conflict do nothing returning id",
            rows,
            fetch=True,
        )
    return len(inserted)


def rejected_count(
    database_url: str, run_id: str | None = None, session: date | None = None
) -> int:
    """Records kept for `run_id`; or for `session` (bars of it), each distinct record once."""
    ensure_ops_schema(database_url)
    params: tuple[str | date | None]
    if run_id is not None:
        sql, params = f"select count(*) from {TABLE} where run_id = %s", (run_id,)
    else:
        sql = (
            f"select count(distinct (endpoint, md5(raw_record))) from {TABLE}"
            " where session_date = %s"
        )
        params = (session,)
    return int(query(database_url, sql, params)[0][0])
