{#- SEC SIC codes and market caps from Polygon ticker details. -#}
with

ticker_details as (

    select * from {{ ref('stg_polygon__ticker_details') }}

),

final as (

    select distinct on (symbol)
        symbol,
        market_cap,
        case when sic_code ~ '^[0-9]{1,4}$' then sic_code::integer end as sic_code

    from ticker_details

    order by symbol asc, market_cap desc nulls last

)

select * from final
