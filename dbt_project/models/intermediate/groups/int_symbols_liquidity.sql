{#-
    Average daily volume over the market's last N sessions in
    marts.ohlcv_daily; N and the threshold come from the universe_filters
    seed (filter `liquidity`), so changing them is a data change. Only
    those sessions' bars are read: the cost does not grow with history. A
    table: its tests and the group models read it without computing it again.
-#}
{{ config(materialized='table') }}

with

liquidity_filter as (

    select * from {{ ref('universe_filters') }}

    where filter_name = 'liquidity'

),

recent_bars as (

    select * from {{ ref('ohlcv_daily') }}

    where date >= {{ quality_window_start(
        "(select lookback_sessions from " ~ ref('universe_filters')
        ~ " where filter_name = 'liquidity')"
    ) }}

),

final as (

    select
        recent_bars.symbol,
        round(avg(recent_bars.volume))::bigint as avg_daily_volume,
        count(*) as sessions_measured,
        max(liquidity_filter.lookback_sessions) as lookback_sessions,
        count(*) >= max(liquidity_filter.lookback_sessions)
        and avg(recent_bars.volume) > max(liquidity_filter.min_avg_daily_volume) as is_liquid

    from recent_bars

    cross join liquidity_filter

    group by recent_bars.symbol

)

select * from final
