{#-
    Incremental on purpose: on each run only the bars of dlt loads completed
    since the newest load already here are read and deduplicated, so the
    window below sorts new data only, not the whole history. Because loads
    are processed in load-time order, "newest load wins" among the new rows
    is also "newest load wins" overall; delete+insert on the key then
    replaces the older winner.
-#}
{{
    config(
        materialized='incremental',
        unique_key=['symbol', 'session_date'],
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        indexes=[
            {'columns': ['symbol', 'session_date'], 'unique': true},
            {'columns': ['loaded_at']},
        ],
    )
}}

with

grouped_daily_bars as (

    select * from {{ ref('stg_polygon__grouped_daily_bars') }}

),

daily_aggs as (

    select * from {{ ref('stg_polygon__daily_aggs') }}

),

dlt_loads as (

    select * from {{ ref('stg_polygon__dlt_loads') }}

),

completed_loads as (

    -- Rows of a load become visible only once dlt has recorded the load as
    -- completed, so a run never sees half of a load.
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

bars_unioned as (

    select
        symbol,
        session_date,
        open,
        high,
        low,
        close,
        volume,
        vwap,
        transactions,
        load_id,
        'polygon.grouped_daily' as source,
        -- Tie-break inside one load: the per-ticker endpoint was asked for
        -- this symbol explicitly, so it wins over the whole-market file.
        2 as source_priority

    from grouped_daily_bars

    union all

    select
        symbol,
        session_date,
        open,
        high,
        low,
        close,
        volume,
        vwap,
        transactions,
        load_id,
        'polygon.aggs' as source,
        1 as source_priority

    from daily_aggs

),

bars_loaded as (

    select
        bars_unioned.*,
        new_loads.loaded_at

    from bars_unioned

    inner join new_loads
        on bars_unioned.load_id = new_loads.load_id

),

bars_ranked as (

    select
        *,
        row_number() over (
            partition by symbol, session_date
            order by loaded_at desc, source_priority asc, load_id desc
        ) as recency_rank

    from bars_loaded

),

final as (

    select
        symbol,
        session_date,
        open,
        high,
        low,
        close,
        volume,
        vwap,
        transactions,
        source,
        load_id,
        loaded_at

    from bars_ranked

    where recency_rank = 1

)

select * from final
