"""Re-adjusting after one split: `python -m benchmarks.bench_adjustment [symbols] [years]`.

Target (issue 16): in a warehouse of 500 symbols x 20 years of daily bars,
one new split of one symbol costs under 2 s of transform: the run of
`int_adjustment_factors` that recomputes that symbol's factor ranges and
rewrites its bars' factors (the post-hook), not the table's.

The bars are generated in SQL straight into `marts.ohlcv_daily` (the
extractor's speed is bench_backfill's business); every symbol pays a
quarterly dividend, so the factor table is as large as a real one. Printed:
the first full build of the factors, then the run after one split landed
(dbt's own time for the node, and the whole command's).
"""

from __future__ import annotations

import sys
from datetime import date

from benchmarks import timed
from kernel.settings import read_settings
from kernel.warehouse import connect, export_connection_env
from orchestration.runtime.dbt_runner import run_dbt
from orchestration.runtime.services import resolve_endpoints
from tests.support.databases import throwaway_database

LAST_SESSION = date(2025, 12, 31)
RAW_TABLES = """
create schema if not exists raw_polygon;
create table raw_polygon._dlt_loads (
    load_id text, schema_name text, status bigint, inserted_at timestamptz, schema_version_hash text
);
create table raw_polygon.grouped_daily (
    ticker text, t bigint, o numeric, h numeric, l numeric, c numeric, v numeric, vw numeric,
    n bigint, otc boolean, request_date date, _dlt_load_id text, _dlt_id text
);
create table raw_polygon.aggs_daily (
    ticker text, t bigint, o numeric, h numeric, l numeric, c numeric, v numeric, vw numeric,
    n bigint, otc boolean, adjusted boolean, _dlt_load_id text, _dlt_id text
);
create table raw_polygon.splits (
    ticker text, execution_date date, id text, split_from numeric, split_to numeric,
    _dlt_load_id text, _dlt_id text
);
create table raw_polygon.dividends (
    ticker text, ex_dividend_date date, dividend_type text, id text, cash_amount numeric,
    currency text, declaration_date date, record_date date, pay_date date, frequency bigint,
    _dlt_load_id text, _dlt_id text
);
"""
BARS = """
insert into marts.ohlcv_daily (
    symbol, date, open, high, low, close, volume, vwap, transactions, fmv, source, loaded_at,
    data_source, split_factor, total_factor
)
select
    'S' || lpad(symbol::text, 4, '0'), day::date, 100, 101, 99, 100 + mod(symbol, 7), 1000000, 100,
    1000, null, 'polygon.aggs', '2020-01-01', 'sandbox', 1, 1
from generate_series(1, %(symbols)s) as symbol,
    generate_series(%(first)s::date, %(last)s::date, interval '1 day') as day
where extract(isodow from day) < 6;
insert into raw_polygon._dlt_loads values ('L1', 'polygon', 0, now(), '');
insert into raw_polygon.dividends
select 'S' || lpad(symbol::text, 4, '0'), day::date, 'CD', symbol || '-' || day, 0.25, 'USD',
    day::date - 20, day::date, day::date + 14, 4, 'L1', symbol || '-' || day
from generate_series(1, %(symbols)s) as symbol,
    generate_series(%(first)s::date + 40, %(last)s::date, interval '3 months') as day
where extract(isodow from day) < 6;
analyze marts.ohlcv_daily;
"""
ONE_SPLIT = """
insert into raw_polygon._dlt_loads values ('L2', 'polygon_reference', 0, now(), '');
insert into raw_polygon.splits values
    ('S0001', %(day)s, 'split', 1, 4, 'L2', 'split');
"""


def _node_seconds(results, name: str) -> float:
    return next(r.execution_time for r in results.results if r.node.name == name)


def main() -> None:
    symbols = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    years = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    settings = read_settings()
    endpoints = resolve_endpoints(settings)
    target = settings.dbt_target
    first = date(LAST_SESSION.year - years + 1, 1, 1)
    with throwaway_database(endpoints.database_url) as database_url:
        export_connection_env(database_url)
        with connect(database_url) as connection, connection.cursor() as cursor:
            cursor.execute(RAW_TABLES)
        # ohlcv_daily's table and indexes, empty; its bars come from SQL below.
        run_dbt("run", "--select", "+ohlcv_daily", target=target)
        params = {"symbols": symbols, "first": first, "last": LAST_SESSION}
        with connect(database_url) as connection, connection.cursor() as cursor:
            cursor.execute("truncate marts.ohlcv_daily")
            cursor.execute(BARS, params)
            cursor.execute("select count(*) from marts.ohlcv_daily")
            (bars,) = cursor.fetchone()
        selection = ("--select", "stg_polygon__splits", "stg_polygon__dividends",
                     "stg_polygon__dlt_loads", "int_adjustment_factors")  # fmt: skip
        full_s, results = timed(lambda: run_dbt("run", *selection, target=target))
        print(
            f"factors, first build: {bars:,} bars of {symbols} symbols x {years} years, "
            f"{_node_seconds(results, 'int_adjustment_factors'):.2f} s in dbt "
            f"({full_s:.1f} s with dbt's start-up)"
        )
        with connect(database_url) as connection, connection.cursor() as cursor:
            cursor.execute(ONE_SPLIT, {"day": date(LAST_SESSION.year, 6, 2)})
        one_s, results = timed(
            lambda: run_dbt("run", "--select", "int_adjustment_factors", target=target)
        )
        node_s = _node_seconds(results, "int_adjustment_factors")
        with connect(database_url) as connection, connection.cursor() as cursor:
            cursor.execute(
                "select count(*) from marts.ohlcv_daily where symbol = 'S0001'"
                " and split_factor = 0.25"
            )
            (rewritten,) = cursor.fetchone()
        print(
            f"factors after one split of one symbol: {node_s:.2f} s in dbt "
            f"({one_s:.1f} s with dbt's start-up), {rewritten:,} of its bars re-factored "
            f"(target < 2 s): {'PASS' if node_s < 2 else 'MISS'}"
        )


if __name__ == "__main__":
    main()
