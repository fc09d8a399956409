"""The `ops` schema (run ledger, outbox, backfill ledger, rejected records, data source,
load order), created and migrated here only.

Each migration is numbered and recorded in `ops.schema_migrations` once it
has run; `migrate` applies the missing ones in order, in one transaction,
under an advisory lock, so two processes starting together do not race and
a failed migration leaves the schema as it was. Write a new migration for any
change: an applied one never runs again. The first migrations create what
earlier versions created on the fly (`if not exists`), so a warehouse from
before this module is adopted as it is.
"""

from __future__ import annotations

from dataclasses import dataclass

from kernel.warehouse import connect


@dataclass(frozen=True)
class Migration:
    """One numbered change to the `ops` schema."""

    version: int
    description: str
    sql: str


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "run ledger: eod_runs, eod_steps and the notice outbox",
        """
        create table if not exists ops.eod_runs (
            run_id uuid primary key,
            session_date date not null,
            status text not null,
            started_at timestamptz not null default now(),
            finished_at timestamptz,
            summary jsonb
        );
        create index if not exists eod_runs_session_idx on ops.eod_runs (session_date);
        create table if not exists ops.eod_steps (
            run_id uuid not null references ops.eod_runs (run_id),
            step text not null,
            status text not null,
            started_at timestamptz not null default now(),
            finished_at timestamptz,
            duration_s numeric(10, 3),
            detail jsonb,
            attempts integer not null default 1,
            primary key (run_id, step)
        );
        alter table ops.eod_steps add column if not exists attempts integer not null default 1;
        -- Completion notices wait here until Redis has them: kept when Redis is down.
        create table if not exists ops.eod_outbox (
            run_id uuid primary key references ops.eod_runs (run_id),
            session_date date not null,
            message jsonb not null,
            created_at timestamptz not null default now(),
            delivered_at timestamptz
        );
        """,
    ),
    Migration(
        2,
        "backfill ledger: load_units",
        """
        create table if not exists ops.load_units (
            unit_key text primary key,
            rows_landed bigint not null,
            landed_at timestamptz not null default now()
        );
        comment on table ops.load_units is
            'Extraction units (a ticker''s bar range or a grouped-daily session) that have landed.';
        """,
    ),
    Migration(
        3,
        "bars the API confirmed it does not have: bars_confirmed_absent",
        """
        create table if not exists ops.bars_confirmed_absent (
            symbol text not null,
            session_date date not null,
            confirmed_at timestamptz not null default now(),
            primary key (symbol, session_date)
        );
        """,
    ),
    Migration(
        4,
        "malformed source records: rejected_records",
        """
        create table if not exists ops.rejected_records (
            id bigserial primary key,
            run_id text not null,
            endpoint text not null,
            request text not null,
            raw_record text not null,
            reason text not null,
            session_date date,
            rejected_at timestamptz not null default now()
        );
        comment on table ops.rejected_records is
            'Malformed source records, one row each with its reason; the rest of the page landed.';
        comment on column ops.rejected_records.raw_record is
            'The record as received (text: NaN and 1e400 are not valid jsonb).';
        -- A run that fetches a page twice (a retry, a resumed run) keeps each record once.
        create unique index if not exists rejected_records_once_per_run
            on ops.rejected_records (run_id, endpoint, request, md5(raw_record));
        create index if not exists rejected_records_session_idx
            on ops.rejected_records (session_date);
        """,
    ),
    Migration(
        5,
        "provenance and commit order: warehouse (its data source), load_sequence",
        """
        -- One row: the data source every row of this warehouse comes from,
        -- recorded by the first run that lands (orchestration/jobs/provenance.py).
        create table if not exists ops.warehouse (
            singleton boolean primary key default true check (singleton),
            data_source text,
            source_detail jsonb,
            recorded_at timestamptz,
            created_at timestamptz not null default now()
        );
        insert into ops.warehouse (singleton) values (true) on conflict do nothing;
        comment on table ops.warehouse is
            'The warehouse''s data source (sandbox seed and size, or the API base URL; never '
            'a key), recorded at bootstrap: a run against another source is refused.';
        -- The order the database gives dlt loads once they have committed
        -- (dbt's on-run-start, macros/number_new_loads.sql): incremental
        -- models take loads numbered after the newest they hold, never by
        -- dlt's client-side `inserted_at`.
        create table if not exists ops.load_sequence (
            load_sequence bigint generated always as identity primary key,
            load_id text not null unique,
            numbered_at timestamptz not null default clock_timestamp()
        );
        comment on table ops.load_sequence is
            'Completed dlt loads of raw_polygon in the order the warehouse numbered them '
            'after they committed; incremental models pick new loads by it.';
        -- Loads already there keep the load time the marts were built with.
        do $$
        begin
            if to_regclass('raw_polygon._dlt_loads') is not null then
                insert into ops.load_sequence (load_id, numbered_at)
                select load_id, inserted_at
                from raw_polygon._dlt_loads
                where status = 0
                order by inserted_at, load_id
                on conflict (load_id) do nothing;
            end if;
        end
        $$;
        """,
    ),
    Migration(
        6,
        "seeds fingerprint: the seed files the warehouse last loaded",
        """
        alter table ops.warehouse add column if not exists seeds_fingerprint text;
        comment on column ops.warehouse.seeds_fingerprint is
            'sha256 of the seed files (seeds/reference) and dbt_project.yml when the seeds '
            'were last loaded and tested: runs reload them only when it differs.';
        """,
    ),
)

_BOOKKEEPING = """
create schema if not exists ops;
create table if not exists ops.schema_migrations (
    version integer primary key,
    description text not null,
    applied_at timestamptz not null default now()
);
"""
# Databases this process has brought up to date: later calls cost nothing.
_current: set[str] = set()


def migrate(database_url: str, migrations: tuple[Migration, ...] = MIGRATIONS) -> list[int]:
    """Apply the migrations the database has not recorded yet, in version order.

    Returns:
        The versions applied now (empty when the schema was up to date).
    """
    with connect(database_url) as connection, connection.cursor() as cursor:
        # Held to the end of the transaction: a second process waits, then
        # finds the migrations recorded and applies none.
        cursor.execute("select pg_advisory_xact_lock(hashtext('tickstock.ops_schema'))")
        cursor.execute(_BOOKKEEPING)
        cursor.execute("select version from ops.schema_migrations")
        recorded = {version for (version,) in cursor.fetchall()}
        applied = []
        for migration in sorted(migrations, key=lambda m: m.version):
            if migration.version in recorded:
                continue
            cursor.execute(migration.sql)
            cursor.execute(
                "insert into ops.schema_migrations (version, description) values (%s, %s)",
                (migration.version, migration.description),
            )
            applied.append(migration.version)
    return applied


def ensure_ops_schema(database_url: str) -> None:
    """Bring the `ops` schema up to date, once per process and database."""
    if database_url not in _current:
        migrate(database_url)
        _current.add(database_url)
