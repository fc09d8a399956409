{#-
    The trading-session spine: every NYSE session from the landed
    pandas-market-calendars schedule, numbered so "N sessions before" is
    plain arithmetic. Holidays and special closures (2001-09-11..14,
    2012-10-29/30, national days of mourning) have no row, so nothing
    joined to this spine can ever expect a bar on them.
-#}
{{
    config(
        indexes=[
            {'columns': ['session_date'], 'unique': true},
            {'columns': ['session_number'], 'unique': true},
        ],
    )
}}

with

sessions as (

    select * from {{ ref('stg_calendar__sessions') }}

),

final as (

    select
        session_date,
        market_open_at,
        market_close_at,
        is_early_close,
        row_number() over (order by session_date)::integer as session_number

    from sessions

)

select * from final
