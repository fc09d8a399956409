-- Every daily bar must fall on an NYSE trading session: a bar dated on a
-- weekend or holiday means a time-zone or epoch conversion went wrong.

with

ohlcv_daily as (

    -- The bars this run loaded when it says so (see get_where_subquery).
    select * from {{ get_where_subquery(ref('ohlcv_daily')) }}

),

sessions as (

    select * from {{ ref('stg_calendar__sessions') }}

),

final as (

    select
        ohlcv_daily.symbol,
        ohlcv_daily.date

    from ohlcv_daily

    left join sessions
        on ohlcv_daily.date = sessions.session_date

    where sessions.session_date is null

)

select * from final
