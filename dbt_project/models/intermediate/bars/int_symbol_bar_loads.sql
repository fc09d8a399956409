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

final as (

    select
        new_loads.symbol,
        {% if is_incremental() %}
            least(known.first_loaded_at, new_loads.first_loaded_at)
        {% else %}
            new_loads.first_loaded_at
        {% endif %} as first_loaded_at,
        new_loads.last_loaded_at

    from new_loads

    {% if is_incremental() %}
        left join {{ this }} as known
            on new_loads.symbol = known.symbol
    {% endif %}

)

select * from final
