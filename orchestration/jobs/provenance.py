"""Provenance: the one data source a warehouse holds, recorded at bootstrap, enforced after.

The first run that lands records its source in `ops.warehouse` (the sandbox
by seed and size, or the API by base URL; never a key). Every later run that
lands checks it first, under the writer lock, and is refused before it
writes anything when its source differs: synthetic and real prices, or two
vendors' bars, never share one warehouse.

A warehouse from before this record adopts the running source, unless its
EOD run ledger says its data came from the other kind (sandbox or polygon).
"""

from __future__ import annotations

from typing import Any

from psycopg2.extras import Json

from kernel.warehouse import connect
from orchestration.runtime.ops_schema import ensure_ops_schema


class SourceMismatch(RuntimeError):
    """The run's data source is not the one the warehouse holds."""


def _kind(label: str) -> str:
    return "sandbox" if label.startswith("sandbox") else "polygon"


def claim_source(database_url: str, label: str, detail: dict[str, Any]) -> str | None:
    """Check the run's source `label` against the warehouse's; record it on first use.

    Returns:
        A note to print when the source was recorded now, else None.

    Raises:
        SourceMismatch: The warehouse holds data of another source; nothing
            was written.
    """
    ensure_ops_schema(database_url)
    with connect(database_url) as connection, connection.cursor() as cursor:
        cursor.execute(
            "select data_source, recorded_at from ops.warehouse where singleton for update"
        )
        recorded, recorded_at = cursor.fetchone()
        if recorded is not None:
            if recorded != label:
                raise SourceMismatch(_refusal(recorded, f"since {recorded_at:%Y-%m-%d}", label))
            return None
        # Before provenance was recorded: the run ledger may still say which kind it was.
        cursor.execute(
            "select distinct summary ->> 'data_source' from ops.eod_runs"
            " where summary ? 'data_source'"
        )
        kinds = {kind for (kind,) in cursor.fetchall()}
        if kinds - {_kind(label)}:
            raise SourceMismatch(_refusal(" and ".join(sorted(kinds)), "by its EOD runs", label))
        cursor.execute(
            "update ops.warehouse set data_source = %s, source_detail = %s,"
            " recorded_at = now() where singleton",
            (label, Json(detail)),
        )
    return f"data source of this warehouse recorded: {label}"


def _refusal(recorded: str, when: str, label: str) -> str:
    return (
        f"this warehouse holds data from {recorded} ({when}); this run's source is {label}. "
        "Refused: nothing was written, sources are never mixed in one warehouse. "
        "Use a separate database for it (TICKSTOCK_DATABASE_URL; the embedded defaults keep "
        "the sandbox in <profile database>_sandbox, real data in the profile's database), "
        "or start this one again empty: drop and create the database (it bootstraps on the "
        "next `tickstock eod`)."
    )
