with

source as (

    select * from {{ source('calendar', 'sessions') }}

),

renamed as (

    select
        ---------- ids
        session_date,

        ---------- timestamps
        market_open as market_open_at,
        market_close as market_close_at,

        ---------- flags
        coalesce(early_close, false) as is_early_close

    from source

)

select * from renamed
