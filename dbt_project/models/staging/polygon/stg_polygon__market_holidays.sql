with

source as (

    select *
    from
        {{ source_or_empty('polygon_reference', 'market_holidays', {
            'exchange': 'text', 'date': 'date', 'name': 'text',
            'status': 'text', 'open': 'timestamptz', 'close': 'timestamptz',
            '_dlt_load_id': 'text'
        }) }}

),

renamed as (

    select
        ---------- ids
        exchange,
        date as holiday_date,

        ---------- descriptors
        name as holiday_name,
        status as market_status,

        ---------- early-close hours (null when closed all day)
        open as opens_at,
        close as closes_at,

        ---------- lineage
        _dlt_load_id as load_id

    from source

)

select * from renamed
