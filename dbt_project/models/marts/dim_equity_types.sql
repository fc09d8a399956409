{#-
    Relation name `marts.equity_types` (the DESIGN.md contract). The dbt node
    is called dim_equity_types because the seed it reads is the node
    `equity_types` (seeds/reference/equity_types.csv), and dbt 1.11
    deprecates two resources with the same name (ref() becomes ambiguous).
-#}
{{ config(alias='equity_types') }}

with

equity_types_seed as (

    select * from {{ ref('equity_types') }}

),

final as (

    select
        code::text as type_code,
        description::text as description,
        asset_class::text as asset_class,
        update_frequency::text as update_frequency,
        eod_update::boolean as eod_update,
        is_fund::boolean as is_fund,
        fetch_etf_details::boolean as fetch_etf_details,
        history_days_on_listing::integer as history_days_on_listing

    from equity_types_seed

)

select * from final
