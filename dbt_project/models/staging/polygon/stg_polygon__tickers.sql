with

source as (

    select * from {{ source('polygon', 'tickers') }}

),

renamed as (

    select
        ---------- ids
        -- Polygon symbols are kept verbatim: case is significant
        -- (e.g. `ABRpD` is a preferred series, not `ABRPD`).
        ticker as symbol,
        cik,
        composite_figi,
        share_class_figi,

        ---------- descriptors
        name,
        market,
        locale,
        primary_exchange,
        type as type_code,
        currency_name,

        ---------- flags
        active as is_active,

        ---------- timestamps
        last_updated_utc as last_updated_at,
        delisted_utc as delisted_at,

        ---------- lineage
        _dlt_load_id as load_id

    from source

)

select * from renamed
