{#-
    One row per (symbol, session) a daily bar is expected for, with whether
    it exists: the trading-session spine joined to each symbol's coverage.
-#}
{{ config(materialized='view') }}

with

coverage as (

    select * from {{ ref('symbol_coverage') }}

),

sessions as (

    select * from {{ ref('trading_sessions') }}

),

daily_bars as (

    select * from {{ ref('ohlcv_daily') }}

),

final as (

    select
        coverage.symbol,
        sessions.session_date,
        sessions.session_number,
        daily_bars.symbol is not null as has_bar

    from coverage

    inner join sessions
        on
            sessions.session_date
            between coverage.coverage_start and coverage.coverage_end

    left join daily_bars
        on
            coverage.symbol = daily_bars.symbol
            and sessions.session_date = daily_bars.date

)

select * from final
