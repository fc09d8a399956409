{#-
    Old ticker → new ticker for every rename the lifecycle has seen, with the
    session the new ticker took over. Groups are built with the new ticker;
    the membership snapshot keeps the old one's history.
-#}
with

lifecycle as (

    select * from {{ ref('symbol_lifecycle') }}

),

final as (

    select
        symbol as old_symbol,
        renamed_to as new_symbol,
        delisted_session as renamed_session

    from lifecycle

    where renamed_to is not null

)

select * from final
