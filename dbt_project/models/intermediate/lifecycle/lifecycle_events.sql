{{ config(materialized='table', schema='lifecycle', tags=['lifecycle']) }}

with

lifecycle as (

    select * from {{ ref('symbol_lifecycle') }}

),

listed as (

    select
        listed_session as event_session,
        'listed' as event_type,
        symbol,
        null::text as previous_symbol

    from lifecycle

    where listed_session is not null and renamed_from is null

),

renamed as (

    select
        listed_session as event_session,
        'renamed' as event_type,
        symbol,
        renamed_from as previous_symbol

    from lifecycle

    where listed_session is not null and renamed_from is not null

),

delisted as (

    select
        delisted_session as event_session,
        'delisted' as event_type,
        symbol,
        null::text as previous_symbol

    from lifecycle

    where delisted_session is not null and renamed_to is null

),

final as (

    select * from listed
    union all
    select * from renamed
    union all
    select * from delisted

)

select * from final
