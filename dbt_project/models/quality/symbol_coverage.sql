{#-
    The tracked symbols, and which sessions each should have a daily bar
    for: the one home of the rule the EOD notice and the quality report
    both read. A symbol is tracked when its equity type has eod_update (an
    unknown type is not). It owes bars from its list date when it was listed
    after it first landed here, else from its first bar (history before that
    was never loaded, by choice), else, with no bar at all, from the session
    it was first seen; to the session before its delisting (or the session
    the quality run is for). A symbol whose primary exchange is abroad owes
    bars only on the sessions its venue holds too (session_venue).
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

venue_sessions as (

    select * from {{ ref('stg_calendar__venue_sessions') }}

),

venues_abroad as (

    select distinct venue from venue_sessions

),

as_of as (

    select {{ quality_as_of_session() }} as session_date

),

bar_ranges as (

    -- One descent of the (symbol, date) index per symbol and end, not a
    -- scan of every bar: the cost does not grow with history. Said as a row
    -- comparison in the index's order: with min()/max(), or `where symbol =`,
    -- Postgres may walk the date index instead and, for each symbol without
    -- bars, read every bar. The row found may be the next symbol's: then
    -- this symbol has none.
    select
        symbols.symbol,
        (
            select first_bars.date
            from (
                select
                    bars.symbol,
                    bars.date
                from {{ ref('ohlcv_daily') }} as bars
                where (bars.symbol, bars.date) >= (symbols.symbol, '-infinity'::date)
                order by bars.symbol asc, bars.date asc
                limit 1
            ) as first_bars
            where first_bars.symbol = symbols.symbol
        ) as first_bar_date,
        (
            select last_bars.date
            from (
                select
                    bars.symbol,
                    bars.date
                from {{ ref('ohlcv_daily') }} as bars
                where (bars.symbol, bars.date) <= (symbols.symbol, 'infinity'::date)
                order by bars.symbol desc, bars.date desc
                limit 1
            ) as last_bars
            where last_bars.symbol = symbols.symbol
        ) as last_bar_date

    from symbols

),

bounds as (

    select
        symbols.symbol,
        bar_ranges.first_bar_date,
        bar_ranges.last_bar_date,
        -- null: the NYSE sessions; else a venue abroad with its own calendar
        venues_abroad.venue as session_venue,
        -- A symbol listed while we already tracked it owes every session
        -- since listing; one listed before it first landed here owes the
        -- history that was loaded for it, from its first bar on; one with
        -- no bar yet owes the sessions since it was first seen.
        case
            when symbols.list_date >= symbols.initial_load_date
                then symbols.list_date
            else
                coalesce(
                    bar_ranges.first_bar_date,
                    -- first seen after the as-of session: nothing owed yet
                    case
                        when symbols.initial_load_date <= as_of.session_date
                            then symbols.initial_load_date
                    end
                )
        end as coverage_start,
        case
            when symbols.list_date >= symbols.initial_load_date
                then 'list_date'
            when bar_ranges.first_bar_date is not null
                then 'first_bar'
            else 'first_seen'
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

    left join venues_abroad
        on symbols.primary_exchange = venues_abroad.venue

    where coalesce(equity_types.eod_update, false)

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
                and (
                    bounds.session_venue is null
                    or exists (
                        select from venue_sessions
                        where
                            venue_sessions.venue = bounds.session_venue
                            and venue_sessions.session_date = sessions.session_date
                    )
                )
        )::integer as expected_sessions

    from bounds

    where bounds.coverage_start is not null

)

select * from final
