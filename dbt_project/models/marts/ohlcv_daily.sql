{#-
    Daily bars as traded (requested with `adjusted=false`), with the
    cumulative adjustment factors of int_adjustment_factors (see the
    "Adjustment convention" in the README); ohlcv_daily_adjusted applies them.
    New bars are inserted with the factors of the actions dated on the new
    bars' sessions (a backfill writes each bar once); the post-hook of
    int_adjustment_factors then rewrites only the bars whose factors depend
    on bars or actions outside this run.

    Incremental: each run reads only the bars of dlt loads numbered after
    the newest `loaded_at` already here (the time the warehouse numbered a
    load after it committed, ops.load_sequence: never dlt's client clock), keeps the newest delivery of each
    (symbol, session) among them, and delete+insert on (symbol, date)
    (strategy `replace_by_key`) replaces older versions. Loads are processed
    in completion order, so "newest among the new loads" is also "newest
    overall". The raw tables are append-only logs (dlt appends every
    delivery), and the window below sorts new rows only: cost grows with new
    data, not with history.

    `date` is indexed for the models that read recent sessions only, and
    year, month and day of it for GX, whose daily batches filter on those
    (without the index each expectation would scan every bar). The
    post-hook analyzes the table: the models that read it in the same run
    need fresh statistics, and a backfill can multiply it before autovacuum
    looks.
-#}
{{
    config(
        materialized='incremental',
        unique_key=['symbol', 'date'],
        incremental_strategy='replace_by_key',
        on_schema_change='append_new_columns',
        indexes=[
            {'columns': ['symbol', 'date'], 'unique': true},
            {'columns': ['loaded_at']},
            {'columns': [
                '(extract(year from date))',
                '(extract(month from date))',
                '(extract(day from date))',
            ]},
            {'columns': ['date']},
        ],
        post_hook='analyze {{ this }}',
    )
}}

{%- if is_incremental() -%}
    {#- The new loads' ids, inlined (see planned_literal): Postgres then reads
        them from the raw logs by the `_dlt_load_id` index. Joined to a
        subquery instead, it plans for loads the size of a bulk backfill and
        scans the whole log, a cost that grows with history. -#}
    {%- set new_load_ids_sql -%}
        (
            select coalesce(string_agg(load_id, ','), '')
            from {{ ref('stg_polygon__dlt_loads') }}
            where is_completed and {{ loaded_after_watermark() }}
        )
    {%- endset -%}
    {%- set new_load_ids = planned_literal(
        new_load_ids_sql, 'text', [this, ref('stg_polygon__dlt_loads')]
    ) -%}
    {%- set in_new_loads -%}
        load_id = any(string_to_array({{ new_load_ids }}, ','))
    {%- endset -%}
{%- endif %}

with

grouped_daily_bars as (

    select * from {{ ref('stg_polygon__grouped_daily_bars') }}

    {% if is_incremental() %}
        where {{ in_new_loads }}
    {% endif %}

),

daily_aggs as (

    select * from {{ ref('stg_polygon__daily_aggs') }}

    {% if is_incremental() %}
        where {{ in_new_loads }}
    {% endif %}

),

dlt_loads as (

    select * from {{ ref('stg_polygon__dlt_loads') }}

),

splits as (

    select * from {{ ref('stg_polygon__splits') }}

),

dividends as (

    select * from {{ ref('stg_polygon__dividends') }}

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
        where {{ in_new_loads }}
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
        data_source,
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
        data_source,
        'polygon.aggs' as source,
        1 as source_priority

    from daily_aggs

),

bars_ranked as (

    select
        bars_unioned.*,
        new_loads.loaded_at,
        row_number() over (
            partition by bars_unioned.symbol, bars_unioned.session_date
            order by
                new_loads.loaded_at desc,
                bars_unioned.source_priority asc,
                bars_unioned.load_id desc
        ) as recency_rank

    from bars_unioned

    inner join new_loads
        on bars_unioned.load_id = new_loads.load_id

),

bars_latest as (

    select
        symbol::text as symbol,
        session_date::date as date,
        open::numeric(38, 9) as open,
        high::numeric(38, 9) as high,
        low::numeric(38, 9) as low,
        close::numeric(38, 9) as close,
        volume::numeric(38, 9) as volume,
        vwap::numeric(38, 9) as vwap,
        transactions::bigint as transactions,
        source::text as source,
        loaded_at::timestamptz as loaded_at,
        data_source::text as data_source

    from bars_ranked

    where recency_rank = 1

),

bars_sequenced as (

    -- The close before each new bar among the new bars: what a dividend
    -- going ex on the bar's date divides by.
    select
        *,
        lag(close) over (partition by symbol order by date) as previous_close

    from bars_latest

),

actions_on_new_bars as (

    -- The actions dated on a new bar's session: with a stored bar on their
    -- date they count (see int_adjustment_factors).
    select
        actions.*,
        bars_sequenced.previous_close

    from ({{ corporate_actions('splits', 'dividends') }}) as actions

    inner join bars_sequenced
        on
            actions.symbol = bars_sequenced.symbol
            and actions.action_date = bars_sequenced.date

),

actions_dated as (

    select
        symbol,
        action_date,
        previous_close,
        {{ actions_dated_columns() }}

    from actions_on_new_bars

    group by symbol, action_date, previous_close

),

actions_priced as (

    select
        actions_dated.symbol,
        actions_dated.action_date,
        {{ action_steps('actions_dated', 'actions_dated.previous_close') }}

    from actions_dated

),

{{ factor_ranges('actions_priced') }},

final as (

    -- The mart's column order (contract), not sqlfluff's.
    select  -- noqa: ST06
        bars_sequenced.symbol,
        bars_sequenced.date,
        bars_sequenced.open,
        bars_sequenced.high,
        bars_sequenced.low,
        bars_sequenced.close,
        bars_sequenced.volume,
        bars_sequenced.vwap,
        bars_sequenced.transactions,
        -- Fair market value: no source yet (a later issue fills it).
        null::numeric(38, 9) as fmv,
        -- The factors of the actions these new bars show (1 after the
        -- latest, as traded). int_adjustment_factors' post-hook rewrites
        -- them where a stored bar or action outside this run changes them
        -- (a later split, older bars backfilled under newer ones).
        coalesce(factor_ranges.split_factor, 1)::numeric(38, 18) as split_factor,
        coalesce(factor_ranges.total_factor, 1)::numeric(38, 18) as total_factor,
        bars_sequenced.source,
        bars_sequenced.loaded_at,
        bars_sequenced.data_source

    from bars_sequenced

    left join factor_ranges
        on
            bars_sequenced.symbol = factor_ranges.symbol
            and bars_sequenced.date >= factor_ranges.valid_from
            and bars_sequenced.date < factor_ranges.valid_until

)

select * from final
