{#-
    Daily bars adjusted for corporate actions, for consumers (backtests,
    indicators, pattern detection): split-adjusted OHLCV, and total-return
    adjusted prices (splits and cash dividends). A view over ohlcv_daily's
    as-traded prices and its factor columns, so a new action shows here as
    soon as int_adjustment_factors has rewritten that symbol's factors, and
    nothing is stored twice.
-#}
-- depends_on: {{ ref('int_adjustment_factors') }}
{{ config(materialized='view') }}

with

daily_bars as (

    select * from {{ ref('ohlcv_daily') }}

),

final as (

    select
        symbol,
        date,
        split_factor,
        total_factor,
        round(open * split_factor, 9)::numeric(38, 9) as open,
        round(high * split_factor, 9)::numeric(38, 9) as high,
        round(low * split_factor, 9)::numeric(38, 9) as low,
        round(close * split_factor, 9)::numeric(38, 9) as close,
        round(volume / split_factor, 9)::numeric(38, 9) as volume,
        round(open * total_factor, 9)::numeric(38, 9) as tr_open,
        round(high * total_factor, 9)::numeric(38, 9) as tr_high,
        round(low * total_factor, 9)::numeric(38, 9) as tr_low,
        round(close * total_factor, 9)::numeric(38, 9) as tr_close

    from daily_bars

)

select * from final
