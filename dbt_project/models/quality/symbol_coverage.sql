{#-
    Which sessions each tracked symbol should have a daily bar for: from its
    list date when it was listed after it first landed here, else from its
    first bar (history before that was never loaded, by choice), to the
    session before its delisting (or the session the quality run is for).
    Symbols of types the EOD job does not fetch daily bars for are not
    tracked.
-#}
with

symbols as (

    select * from {{ ref('symbols') }}

),

equity_types as (

    select * from {{ ref('dim_equity_types') }}

),

sessions as (

    select * from {{ ref('trading_sessions') }}

),

as_of as (

    select {{ quality_as_of_session() }} as session_date

),

bar_ranges as (

    -- Two descents of the (symbol, date) index per symbol, not a scan of
    -- every bar: the cost does not grow with history.
    select
        symbols.symbol,
        (
            select min(first_bars.date) as first_bar_date
            from {{ ref('ohlcv_daily') }} as first_bars
            where first_bars.symbol = symbols.symbol
        ) as first_bar_date,
        (
            select max(last_bars.date) as last_bar_date
            from {{ ref('ohlcv_daily') }} as last_bars
            where last_bars.symbol = symbols.symbol
        ) as last_bar_date

    from symbols

),

bounds as (

    select
        symbols.symbol,
        bar_ranges.first_bar_date,
        bar_ranges.last_bar_date,
        -- A symbol listed while we already tracked it owes every session
        -- since listing; one listed before it first landed here owes the
        -- history that was loaded for it, from its first bar on.
        case
            when symbols.list_date >= symbols.initial_load_date
                then symbols.list_date
            else bar_ranges.first_bar_date
        end as coverage_start,
        case
            when symbols.list_date >= symbols.initial_load_date
                then 'list_date'
            else 'first_bar'
        end as start_basis,
        case
            -- Polygon's delisted_utc is midnight UTC of the first day the
            -- symbol no longer trades: coverage ends the day before.
            when
                (symbols.delisted_at at time zone 'UTC')::date
                <= as_of.session_date
                then (symbols.delisted_at at time zone 'UTC')::date - 1
            else as_of.session_date
        end as coverage_end,
        case
            when
                (symbols.delisted_at at time zone 'UTC')::date
                <= as_of.session_date
                then 'delisted'
            else 'as_of_session'
        end as end_basis

    from symbols

    cross join as_of

    left join bar_ranges
        on symbols.symbol = bar_ranges.symbol

    left join equity_types
        on symbols.type = equity_types.type_code

    -- Unknown types are tracked: a missing reference row must not hide gaps.
    where coalesce(equity_types.eod_update, true)

),

final as (

    select
        bounds.*,
        (
            select count(*) as session_count
            from sessions
            where
                sessions.session_date
                between bounds.coverage_start and bounds.coverage_end
        )::integer as expected_sessions

    from bounds

    where bounds.coverage_start is not null

)

select * from final
