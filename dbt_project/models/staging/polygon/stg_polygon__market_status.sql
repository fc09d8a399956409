with

source as (

    select *
    from
        {{ source_or_empty('polygon_reference', 'market_status', {
            'server_time': 'timestamptz', 'market': 'text',
            'early_hours': 'boolean', 'after_hours': 'boolean',
            'exchanges__nyse': 'text', 'exchanges__nasdaq': 'text',
            'exchanges__otc': 'text', 'currencies__fx': 'text',
            'currencies__crypto': 'text', '_dlt_load_id': 'text'
        }) }}

),

renamed as (

    select
        ---------- ids
        server_time as observed_at,

        ---------- status
        market as market_status,
        early_hours as is_early_hours,
        after_hours as is_after_hours,
        exchanges__nyse as nyse_status,
        exchanges__nasdaq as nasdaq_status,
        exchanges__otc as otc_status,
        currencies__fx as fx_status,
        currencies__crypto as crypto_status,

        ---------- lineage
        _dlt_load_id as load_id

    from source

)

select * from renamed
