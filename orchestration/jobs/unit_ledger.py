"""Which extraction units have landed, so a killed backfill resumes where it stopped.

A unit is marked only after the dlt load that carried it has committed. A kill
between the two re-fetches that one batch on the next run: daily bars are
appended again and `ohlcv_daily` keeps the newest delivery of each bar;
minute bars are merged by dlt on their key. Either way nothing is duplicated
in the marts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from psycopg2.extras import execute_values

from kernel.warehouse import connect, query
from orchestration.runtime.ops_schema import ensure_ops_schema


class UnitLedger:
    """`ops.load_units` in the warehouse."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        ensure_ops_schema(database_url)

    def landed(self, keys: Iterable[str]) -> set[str]:
        """The subset of `keys` that has landed before (a read: dry runs use it)."""
        sql = "select unit_key from ops.load_units where unit_key = any(%s)"
        return {key for (key,) in query(self.database_url, sql, (list(keys),))}

    def mark(self, rows_by_key: Mapping[str, int]) -> None:
        """Record units whose load committed (a unit landed again keeps its first mark)."""
        if not rows_by_key:
            return
        with connect(self.database_url) as connection, connection.cursor() as cursor:
            execute_values(
                cursor,
                "insert into ops.load_units (unit_key, rows_landed) values %s "
                "on conflict (unit_key) do nothing",
                list(rows_by_key.items()),
            )
