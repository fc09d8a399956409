with

source as (

    select *
    from {{ source_or_empty('polygon_listings', 'ticker_listings', {
        'ticker': 'text', 'name': 'text', 'type': 'text', 'primary_exchange': 'text',
        'composite_figi': 'text', 'active': 'boolean', 'delisted_utc': 'timestamptz',
        'as_of': 'date',
    }) }}

),

renamed as (

    select
        ---------- ids
        ticker as symbol,
        composite_figi,

        ---------- descriptors
        name,
        type as type_code,
        primary_exchange,

        ---------- flags
        active as is_active,

        ---------- dates
        delisted_utc as delisted_at,
        as_of as snapshot_session

    from source

)

select * from renamed
