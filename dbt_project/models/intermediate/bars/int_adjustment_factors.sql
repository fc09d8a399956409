{#-
    Cumulative backward adjustment factors (CRSP style) per symbol, as date
    ranges: a bar dated in [valid_from, valid_until) is adjusted by
    `adjusted = as traded * factor`. See the docs block for the convention.

    Incremental on `symbol`: a run recomputes only the symbols with a
    corporate action landed since the last run, or with new bars older than
    their latest action (a backfill); every other symbol's ranges stay as
    they are. The post-hook then writes the ranges of the symbols it just
    recomputed into `ohlcv_daily.split_factor` and `total_factor`, touching
    only that symbol's rows whose factors differ (a split of one symbol
    with 20 years of bars updates those 5,000 rows, not the table).
-#}
{{
    config(
        materialized='incremental',
        unique_key='symbol',
        incremental_strategy='delete+insert',
        indexes=[{'columns': ['symbol', 'valid_from']}],
        post_hook="{{ apply_adjustment_factors(ref('ohlcv_daily')) }}",
    )
}}

{#- Loads completed after the newest one this table has seen (incremental). -#}
{%- set watermark = "'-infinity'::timestamptz" -%}
{%- if is_incremental() -%}
    {%- set watermark = planned_literal(
        '(select coalesce(max(inputs_loaded_through), \'-infinity\') from '
        ~ this ~ ')',
        'timestamptz',
        [this],
    ) -%}
{%- endif %}

with

splits as (

    select * from {{ ref('stg_polygon__splits') }}

),

dividends as (

    select * from {{ ref('stg_polygon__dividends') }}

),

dlt_loads as (

    select * from {{ ref('stg_polygon__dlt_loads') }}

),

actions_unioned as (

    {{ corporate_actions('splits', 'dividends') }}

),

new_loads as (

    select load_id

    from dlt_loads

    where is_completed and loaded_at > {{ watermark }}

),

new_bar_starts as (

    -- Read by the loaded_at index: the new bars only. The bars are read from
    -- the table itself, never a CTE: Postgres would materialize a CTE read
    -- twice, and each lookup below would then scan every bar.
    select
        symbol,
        min(date) as earliest_new_date

    from {{ ref('ohlcv_daily') }}

    where loaded_at > {{ watermark }}

    group by symbol

),

latest_actions as (

    select
        symbol,
        max(action_date) as latest_action_date

    from actions_unioned

    group by symbol

),

-- Read in incremental runs only (the full build takes every symbol).
candidate_symbols as (  -- noqa: ST03

    select actions_unioned.symbol

    from actions_unioned

    inner join new_loads on actions_unioned.load_id = new_loads.load_id

    union

    select new_bar_starts.symbol

    from new_bar_starts

    inner join latest_actions
        on new_bar_starts.symbol = latest_actions.symbol
    where new_bar_starts.earliest_new_date < latest_actions.latest_action_date

),

actions_selected as (

    select actions_unioned.*

    from actions_unioned

    {% if is_incremental() %}
        inner join candidate_symbols
            on actions_unioned.symbol = candidate_symbols.symbol
    {% endif %}

),

actions_dated as (

    -- One row per symbol and action date.
    select
        symbol,
        action_date,
        {{ actions_dated_columns() }}

    from actions_selected

    group by symbol, action_date

),

actions_priced as (

    -- An action counts once a bar on or after its date is stored (a
    -- dividend announced for next month adjusts nothing yet). A dividend's
    -- step uses the close of the last bar before its ex-date.
    select
        actions_dated.symbol,
        actions_dated.action_date,
        previous_bar.close as reference_close,
        {{ action_steps('actions_dated', 'previous_bar.close') }}

    from actions_dated

    -- Lateral subqueries: a CTE cannot see the outer action.
    -- One (symbol, date) index probe each.
    left join lateral (  -- noqa: ST05
        select earlier.close
        from {{ ref('ohlcv_daily') }} as earlier
        where
            earlier.symbol = actions_dated.symbol
            and earlier.date < actions_dated.action_date
        order by earlier.date desc
        limit 1
    ) as previous_bar on true

    where exists (
        select from {{ ref('ohlcv_daily') }} as later
        where
            later.symbol = actions_dated.symbol
            and later.date >= actions_dated.action_date
    )

),

{{ factor_ranges('actions_priced') }},

inputs as (

    select max(loaded_at) as inputs_loaded_through
    from dlt_loads
    where is_completed

),

final as (

    select
        inputs.inputs_loaded_through::timestamptz as inputs_loaded_through,
        ranges.symbol::text as symbol,
        ranges.valid_from::date as valid_from,
        ranges.valid_until::date as valid_until,
        ranges.split_factor::numeric(38, 18) as split_factor,
        ranges.total_factor::numeric(38, 18) as total_factor,
        '{{ run_started_at }}'::timestamptz as computed_at

    from factor_ranges as ranges

    cross join inputs

)

select * from final
