{#-
    Incremental like ohlcv_daily: each run reads only the minute bars of dlt
    loads numbered after the newest `loaded_at` already here (the time the
    warehouse numbered a load after it committed, ops.load_sequence), and
    delete+insert on (symbol, ts) (strategy `replace_by_key`) replaces
    older versions of those bars.
    dlt merges raw minute bars on (ticker, t), so a load holds each key once.

    Year, month and day of `session_date` are indexed for GX, whose daily
    batches filter on those (else each expectation scans every minute).
    The post-hook analyzes the table: the models that read it in the same run
    need fresh statistics, and a backfill can multiply it before autovacuum
    looks.
-#}
{{
    config(
        materialized='incremental',
        unique_key=['symbol', 'ts'],
        incremental_strategy='replace_by_key',
        on_schema_change='append_new_columns',
        indexes=[
            {'columns': ['symbol', 'ts'], 'unique': true},
            {'columns': ['loaded_at']},
            {'columns': [
                '(extract(year from session_date))',
                '(extract(month from session_date))',
                '(extract(day from session_date))',
            ]},
        ],
        post_hook='analyze {{ this }}',
    )
}}

with

minute_aggs as (

    select * from {{ ref('stg_polygon__minute_aggs') }}

),

dlt_loads as (

    select * from {{ ref('stg_polygon__dlt_loads') }}

),

completed_loads as (

    -- Rows of a load become visible only once dlt has recorded it as completed.
    select
        load_id,
        loaded_at

    from dlt_loads

    where is_completed

),

new_loads as (

    select * from completed_loads

    {% if is_incremental() %}
        where {{ loaded_after_watermark() }}
    {% endif %}

),

final as (

    select
        minute_aggs.symbol::text as symbol,
        minute_aggs.bar_start_at::timestamptz as ts,
        minute_aggs.session_date::date as session_date,
        minute_aggs.open::numeric(38, 9) as open,
        minute_aggs.high::numeric(38, 9) as high,
        minute_aggs.low::numeric(38, 9) as low,
        minute_aggs.close::numeric(38, 9) as close,
        minute_aggs.volume::numeric(38, 9) as volume,
        minute_aggs.vwap::numeric(38, 9) as vwap,
        minute_aggs.transactions::bigint as transactions,
        -- Fair market value: no per-minute source.
        null::numeric(38, 9) as fmv,
        'polygon.aggs_minute'::text as source,
        new_loads.loaded_at::timestamptz as loaded_at

    from minute_aggs

    inner join new_loads
        on minute_aggs.load_id = new_loads.load_id

)

select * from final
