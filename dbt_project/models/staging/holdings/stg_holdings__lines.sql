with

source as (

    -- Empty (same columns) until the first file is loaded: dlt creates the
    -- table on its first load, and a fresh warehouse builds before that.
    select *
    from
        {{ source_or_empty('holdings', 'holdings', {
            'batch_id': 'text', 'line_number': 'bigint', 'group_type': 'text',
            'group_name': 'text', 'ticker': 'text', 'name': 'text', 'sector': 'text',
            'asset_class': 'text', 'identifier': 'text',
            'weight_pct': 'double precision', 'shares': 'double precision',
            'market_value': 'double precision', 'market_cap': 'double precision',
            'as_of_date': 'date', 'layout': 'text', 'source_file': 'text'
        }) }}

),

renamed as (

    select
        ---------- ids
        batch_id,
        line_number,
        group_type,
        group_name,
        ticker as issuer_ticker,
        identifier,

        name as security_name,

        ---------- numbers
        weight_pct,
        shares,
        market_value,
        market_cap,

        ---------- lineage
        as_of_date,
        layout,
        source_file,

        ---------- descriptors
        nullif(trim(sector), '') as issuer_sector,
        coalesce(nullif(trim(asset_class), ''), 'Equity') as asset_class

    from source

)

select * from renamed
