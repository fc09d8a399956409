{#-
    Ticker changes from Polygon's ticker events: one row per old → new
    ticker and the date the new one took effect. Each event says "from this
    date on, the listing trades as `ticker`", so the ticker before it is the
    previous event's (the first event is the original listing, not a change).
-#}
with

events as (

    select * from {{ ref('stg_polygon__ticker_events') }}

    where event_type = 'ticker_change'

),

sequenced as (

    select
        new_symbol,
        event_date,
        lag(new_symbol) over (partition by queried_id order by event_date) as old_symbol

    from events

),

final as (

    select distinct
        old_symbol::text as old_symbol,
        new_symbol::text as new_symbol,
        event_date::date as change_date

    from sequenced

    where old_symbol is not null and old_symbol <> new_symbol

)

select * from final
