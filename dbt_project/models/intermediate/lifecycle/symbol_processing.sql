{{ config(materialized='view', schema='lifecycle', tags=['lifecycle']) }}

with

lifecycle as (

    select * from {{ ref('symbol_lifecycle') }}

),

equity_types as (

    select * from {{ ref('dim_equity_types') }}

),

final as (

    select
        lifecycle.symbol,
        lifecycle.type_code,
        lifecycle.primary_exchange,
        lifecycle.is_active,
        lifecycle.first_seen_session,
        lifecycle.last_seen_session,
        coalesce(equity_types.eod_update, false) as eod_update,
        coalesce(equity_types.fetch_etf_details, false) as fetch_etf_details,
        coalesce(equity_types.history_days_on_listing, 0) as history_days_on_listing

    from lifecycle

    left join equity_types
        on lifecycle.type_code = equity_types.type_code

)

select * from final
