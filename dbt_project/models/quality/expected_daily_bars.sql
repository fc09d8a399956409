{#-
    One row per (symbol, session) a daily bar is expected for, with whether
    it exists: the trading-session spine joined to each symbol's coverage,
    over the last `quality_gap_sessions` sessions up to the as-of session
    (every EOD looks at that window, so its cost does not grow with
    history; a wider var looks further back). A symbol listed abroad is
    expected on the NYSE sessions its venue holds too.
-#}
{{ config(materialized='view') }}

with

coverage as (

    select * from {{ ref('symbol_coverage') }}

),

sessions as (

    select * from {{ ref('trading_sessions') }}

    where
        session_date
        between {{ quality_window_start(var('quality_gap_sessions')) }}
        and {{ quality_as_of_session() }}

),

venue_sessions as (

    select * from {{ ref('stg_calendar__venue_sessions') }}

),

daily_bars as (

    select * from {{ ref('ohlcv_daily') }}

    -- The same window, said again so the date index serves the read.
    where
        date
        between {{ quality_window_start(var('quality_gap_sessions')) }}
        and {{ quality_as_of_session() }}

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

    left join venue_sessions
        on
            coverage.session_venue = venue_sessions.venue
            and sessions.session_date = venue_sessions.session_date

    left join daily_bars
        on
            coverage.symbol = daily_bars.symbol
            and sessions.session_date = daily_bars.date

    where coverage.session_venue is null or venue_sessions.venue is not null

)

select * from final
