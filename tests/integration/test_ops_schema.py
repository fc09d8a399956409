"""The ops schema is created and migrated in one place: versioned, idempotent, race-free."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date

import psycopg2
import pytest

from kernel.warehouse import query
from orchestration.jobs.ledger import RunLedger
from orchestration.runtime.ops_schema import MIGRATIONS, migrate

pytestmark = pytest.mark.integration

RUN_ID = "00000000-0000-0000-0000-000000000001"
LATEST = max(migration.version for migration in MIGRATIONS)


def _catalog(database_url: str) -> list[tuple]:
    """Every column and index of schema ops, as Postgres describes them."""
    columns = query(
        database_url,
        "select table_name, column_name, data_type, is_nullable, column_default"
        " from information_schema.columns where table_schema = 'ops'"
        " order by table_name, column_name",
    )
    indexes = query(
        database_url,
        "select indexname, indexdef from pg_indexes where schemaname = 'ops' order by 1",
    )
    return columns + indexes


def _versions(database_url: str) -> list[int]:
    rows = query(database_url, "select version from ops.schema_migrations order by version")
    return [version for (version,) in rows]


def test_applying_twice_changes_nothing(fresh_database: str) -> None:
    assert migrate(fresh_database) == list(range(1, LATEST + 1))
    catalog = _catalog(fresh_database)
    recorded = query(fresh_database, "select * from ops.schema_migrations order by version")

    assert migrate(fresh_database) == []
    assert _catalog(fresh_database) == catalog
    assert query(fresh_database, "select * from ops.schema_migrations order by version") == recorded


def test_a_database_one_version_behind_gets_the_last_migration(fresh_database: str) -> None:
    assert migrate(fresh_database, MIGRATIONS[:-1]) == list(range(1, LATEST))
    behind = _catalog(fresh_database)

    assert migrate(fresh_database) == [LATEST]
    assert _versions(fresh_database) == list(range(1, LATEST + 1))
    assert _catalog(fresh_database) != behind
    fresh = _catalog(fresh_database)
    assert migrate(fresh_database) == [] and _catalog(fresh_database) == fresh


def test_tables_from_before_the_migrations_are_adopted_with_their_rows(
    fresh_database: str,
) -> None:
    # What an early version created on the fly: no attempts column, no ledger of versions.
    with psycopg2.connect(fresh_database) as connection, connection.cursor() as cursor:
        cursor.execute(
            "create schema ops;"
            "create table ops.eod_runs (run_id uuid primary key, session_date date not null,"
            " status text not null, started_at timestamptz not null default now(),"
            " finished_at timestamptz, summary jsonb);"
            "create table ops.eod_steps (run_id uuid not null references ops.eod_runs (run_id),"
            " step text not null, status text not null,"
            " started_at timestamptz not null default now(), finished_at timestamptz,"
            " duration_s numeric(10, 3), detail jsonb, primary key (run_id, step));"
            "insert into ops.eod_runs values"
            " ('00000000-0000-0000-0000-000000000001', '2025-06-13', 'complete', now(), now());"
            "insert into ops.eod_steps (run_id, step, status) values"
            " ('00000000-0000-0000-0000-000000000001', 'extract', 'succeeded')"
        )
    connection.close()

    assert migrate(fresh_database) == list(range(1, LATEST + 1))
    assert query(fresh_database, "select step, attempts from ops.eod_steps") == [("extract", 1)]
    assert RunLedger(fresh_database).completed_run(date(2025, 6, 13)) == RUN_ID


def test_two_processes_starting_together_apply_each_migration_once(fresh_database: str) -> None:
    with ThreadPoolExecutor(max_workers=2) as pool:
        applied = list(pool.map(migrate, [fresh_database, fresh_database]))

    assert sorted(applied, key=len) == [[], list(range(1, LATEST + 1))]
    assert _versions(fresh_database) == list(range(1, LATEST + 1))
