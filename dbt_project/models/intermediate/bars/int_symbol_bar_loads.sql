{#-
    Incremental: each run reads only the daily bars loaded after the newest
    `last_loaded_at` here (a range scan on ohlcv_daily.loaded_at) and folds
    them into one row per symbol, so marts.symbols never scans the bars.
-#}
{{
    config(
        materialized='incremental',
        unique_key='symbol',
        incremental_strategy='delete+insert',
        indexes=[{'columns': ['symbol'], 'unique': true}],
    )
}}

with

daily_bars as (

    select * from {{ ref('ohlcv_daily') }}

    {% if is_incremental() %}
        where {{ loaded_after_watermark(column='loaded_at', watermark='last_loaded_at') }}
    {% endif %}

),

new_loads as (

    select
        symbol,
        min(loaded_at) as first_loaded_at,
        max(loaded_at) as last_loaded_at

    from daily_bars

    group by symbol

),

known as (

    {% if is_incremental() %}
        select
            symbol,
            first_loaded_at
        from {{ this }}
    {% else %}
        select
            null::text as symbol,
            null::timestamptz as first_loaded_at
        where false
    {% endif %}

),

final as (

    select
        new_loads.symbol,
        new_loads.last_loaded_at,
        -- least() skips nulls: a symbol new to this table keeps its first load
        least(known.first_loaded_at, new_loads.first_loaded_at) as first_loaded_at

    from new_loads

    left join known
        on new_loads.symbol = known.symbol

)

select * from final
